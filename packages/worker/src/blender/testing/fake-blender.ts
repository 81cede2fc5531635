// A stand-in for `blender -b --python bridge.py` in unit tests: a tiny Node program that speaks the
// bridge protocol on fd 3 / fd 4 (or the FIFOs of BOD_BRIDGE_CHANNEL) like the real bridge, and
// misbehaves on request so the supervisor's failure handling can be checked without Blender.
// FAKE_BLENDER_MODE picks how it starts:
// "normal", "exit-before-ready", "never-ready" or "ignore-sigterm" (ready, but SIGTERM does nothing).
// Commands: ping answers with the commands this process has received; get_scene fails with
// object_not_found; add_object or import_model with {hang: true} never answer, add_object with
// {crash: true} exits, and with {crashOnce: FILE} exits unless FILE exists (creating it);
// import_model answers {objects: ["Imported"]} and delete_object {deleted: name}, as their tools do;
// save_snapshot writes a small file holding journalSeq and the kept keys, and load_snapshot reads
// it back; render_frame logs sample lines and answers after durationMs, or "cancelled" on SIGINT
// like Blender's render break. Anything else is echoed back.
import { constants, existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { Socket } from "node:net";
import { createInterface } from "node:readline";

const mode = process.env.FAKE_BLENDER_MODE ?? "normal";
const channel = process.env.BOD_BRIDGE_CHANNEL;
const [requestFd, responseFd] = channel
  ? [openSync(`${channel}-requests`, constants.O_RDONLY), openSync(`${channel}-responses`, constants.O_WRONLY)]
  : [3, 4];
const responses = new Socket({ fd: responseFd, readable: false, writable: true });
const send = (message: unknown) => responses.write(`${JSON.stringify(message)}\n`);

console.log(`fake blender started with ${process.argv.slice(2).join(" ")}`);
console.error("a line on stderr");
if (mode === "exit-before-ready") process.exit(7);
if (mode === "ignore-sigterm") process.on("SIGTERM", () => console.log("ignoring SIGTERM"));

let onBreak: (() => void) | undefined;
process.on("SIGINT", () => onBreak?.());

interface Request {
  id: number;
  command: string;
  args: Record<string, unknown>;
}

const received: string[] = [];

function handle(request: Request) {
  const { id, command, args } = request;
  received.push(command);
  if (command === "ping") return send({ id, ok: true, result: { pong: true, received } });
  if (command === "save_snapshot") {
    writeFileSync(String(args.path), JSON.stringify({ journalSeq: args.journalSeq, keys: args.keys }));
    return send({ id, ok: true, result: { path: args.path } });
  }
  if (command === "load_snapshot") return send({ id, ok: true, result: JSON.parse(readFileSync(String(args.path), "utf8")) });
  if (command === "get_scene")
    return send({ id, ok: false, error: { code: "object_not_found", message: "No object named x.", data: { existing: [] } } });
  if ((command === "add_object" || command === "import_model") && args.hang) return;
  if (command === "import_model") return send({ id, ok: true, result: { objects: ["Imported"] } });
  if (command === "delete_object") return send({ id, ok: true, result: { deleted: args.name } });
  if (command === "add_object" && args.crash) process.exit(3);
  if (command === "add_object" && typeof args.crashOnce === "string" && !existsSync(args.crashOnce)) {
    // Crashes the first Blender that runs it, and no other (the marker file remembers).
    writeFileSync(args.crashOnce, "");
    process.exit(3);
  }
  if (command === "render_frame") {
    send({ event: "progress", id, progress: 0, total: 4, message: "rendering" });
    console.log("Fra:1 Mem:12.22M (Peak 13.34M) | Time:00:01.29 | Rendering 1 / 4 samples");
    const timer = setTimeout(
      () => {
        onBreak = undefined;
        send({ id, ok: true, result: { rendered: true } });
      },
      Number(args.durationMs ?? 10),
    );
    onBreak = () => {
      clearTimeout(timer);
      onBreak = undefined;
      send({ id, ok: false, error: { code: "cancelled", message: "The render was cancelled." } });
    };
    return;
  }
  send({ id, ok: true, result: { command, args } });
}

if (mode !== "never-ready") send({ event: "ready", blenderVersion: "fake" });
const requests = createInterface({ input: new Socket({ fd: requestFd, readable: true, writable: false }) });
requests.on("line", (line) => handle(JSON.parse(line) as Request));
requests.on("close", () => {
  if (mode !== "ignore-sigterm") process.exit(0);
});
// Stay alive while waiting (never-ready, ignore-sigterm) even if the pipes close.
setInterval(() => {}, 60_000);
