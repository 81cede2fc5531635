// A stand-in for `bod worker` under `blenderFirstCommand`: it adopts the Blender the launcher
// started (a stand-in Blender too), runs a scene engine on it, crashes it, and prints what it saw as
// one JSON line: the adopted pid, what that Blender received, how its crash was reported, and the
// Blender the engine then started itself.
import { pino } from "pino";
import { bootBlenderForWorkerCommand, takeEarlyBlender } from "../../early-blender.ts";
import { createSceneEngine } from "../scene-engine.ts";

const flags = process.argv.slice(2);
await bootBlenderForWorkerCommand(flags);
const blenderPath = process.env.BLENDER_PATH ?? "blender";
const early = takeEarlyBlender(blenderPath);
const engine = createSceneEngine({ logger: pino({ level: "silent" }), blenderPath, spawn: early.spawn, readyTimeoutMs: 10_000 });
await engine.start();
const adoptedPid = engine.blenderPid;
const { received } = (await engine.call("ping", {})) as { received: string[] };
const crash = await engine.call("add_object", { crash: true }).then(
  () => "no error",
  (error: { code?: string }) => error.code,
);
await engine.call("ping", {});
const restartedPid = engine.blenderPid;
await engine.stop();
process.stdout.write(`${JSON.stringify({ adoptedPid, received, crash, restartedPid })}\n`);
