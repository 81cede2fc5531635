// `bod bench worker`: how much the worker adds on top of Blender. Every figure is measured
// against plain `blender -b` doing the same work in the same run on the same machine.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type { WorkerToRuntime } from "@bod/worker";
import { isPythonInterpreter } from "@bod/worker/early-blender";
import { type CallToolResult, Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { residentMiB } from "./process-memory.ts";
import { createRawMcpClient } from "./raw-mcp-client.ts";
import { median, ms, percentile, table } from "./statistics.ts";

const ROOT = resolve(import.meta.dirname, "../../../..");
const CLI_ENTRY = join(ROOT, "packages/cli/src/main.ts");
const PLAIN_SCRIPT = join(ROOT, "packages/worker/python/bench_plain.py");
const INSTANT_SERVER = join(import.meta.dirname, "instant-http-server.ts");
/** The pause before each call of the paced round trips, and how many of those per tool. */
const PAUSE_MS = 5;
const PAUSED_CALLS = 50;
/** The animation rendered by the worker and by plain `blender -b -a`: frames and size. */
const ANIMATION = { frames: 48, width: 480, height: 270 } as const;
const sleep = (ms: number) => new Promise((wake) => setTimeout(wake, ms));
const run = promisify(execFile);

export interface WorkerBenchOptions {
  /** Cold starts and renders measured per side. */
  runs: number;
  /** add_object and get_scene calls measured per side. */
  calls: number;
  blender: string;
  render: { engine: "eevee" | "cycles" | "workbench"; width: number; height: number; samples: number };
}

export interface WorkerBenchResult {
  startup: { workerReadyMs: number[]; workerBlenderReadyMs: number[]; plainBlenderReadyMs: number[] };
  roundTrip: Record<
    "add_object" | "get_scene",
    {
      /** The official SDK client's round trip. */
      workerP50: number;
      workerP99: number;
      /** The bare HTTP caller's round trip. */
      rawP50: number;
      rawP99: number;
      /** Blender's own time for the bare calls, measured inside the worker's Blender (`bod/blenderMs`). */
      blenderInWorkerP50: number;
      /** Per bare call: its round trip less its Blender time; the p50 of those. */
      overheadP50: number;
      /** The same, for bare calls made after a pause of PAUSE_MS each. */
      pausedOverheadP50: number;
      /** The same handler in a plain `blender -b`, paced like the worker's calls. */
      plainP50: number;
      plainP99: number;
    }
  >;
  /** The bare caller's round trip to a node:http server that answers at once: calls back to back, and after pauses. */
  loopback: { backToBackP50: number; pausedP50: number };
  render: { workerMs: number[]; plainMs: number[]; ratio: number };
  /** render_animation's round trip (and Blender's share of it) against plain `blender -b -a` of the same scene. */
  animation: { workerMs: number[]; workerBlenderMs: number[]; plainMs: number[]; ratio: number };
  memory: {
    workerIdleMiB?: number | undefined;
    blenderIdleMiB?: number | undefined;
    workerAfterMiB?: number | undefined;
    blenderAfterMiB?: number | undefined;
  };
}

interface RunningWorker {
  child: ChildProcess;
  port: number;
  readyMs: number;
  blenderReadyMs: number;
  blenderPid: number | undefined;
}

export async function startWorker(dataDir: string, blender: string): Promise<RunningWorker> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, [CLI_ENTRY, "worker", "--port", "0", "--data-dir", dataDir, "--blender", blender], {
    stdio: ["ignore", "ignore", "ignore", "ipc"],
    env: { ...process.env, BOD_LOG_LEVEL: "warn" },
  });
  return new Promise((resolvePromise, reject) => {
    let port = 0;
    child.on("message", (message: WorkerToRuntime) => {
      if (message.type === "listening") port = message.port;
      if (message.type === "ready") {
        resolvePromise({
          child,
          port,
          readyMs: performance.now() - startedAt,
          blenderReadyMs: message.phases.blenderReadyMs,
          blenderPid: message.blenderPid,
        });
      }
    });
    child.once("exit", (code) => reject(new Error(`worker exited with ${code} before ready`)));
  });
}

export async function stopWorker(worker: RunningWorker): Promise<void> {
  const exited = new Promise((resolvePromise) => worker.child.once("exit", resolvePromise));
  worker.child.kill("SIGTERM");
  await exited;
}

/** Plain Blender from spawn to its Python running, the point where the bridge would say ready. */
async function plainBlenderReady(blender: string): Promise<number> {
  const startedAt = performance.now();
  const code = "import sys; sys.stderr.write('BOD_PLAIN_READY\\n'); sys.stderr.flush()";
  // A Python interpreter with the bpy module is ready once bpy has loaded.
  const args = isPythonInterpreter(blender) ? ["-I", "-c", `import bpy; ${code}`] : ["-b", "--factory-startup", "--python-expr", code];
  const child = spawn(blender, args, { stdio: ["ignore", "ignore", "pipe"] });
  return new Promise((resolvePromise, reject) => {
    child.stderr.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("BOD_PLAIN_READY")) resolvePromise(performance.now() - startedAt);
    });
    child.once("error", reject);
  }).finally(() => child.kill("SIGKILL")) as Promise<number>;
}

/**
 * The bare caller's p50 round trip to a server in another process that answers at once with a
 * body of `answerBytes`, each call `gapMs` after the last answer (0: at once): what loopback TCP,
 * node:http and the caller take before any MCP or Blender work.
 */
async function loopbackFloor(calls: number, answerBytes: number, gapMs: number): Promise<number> {
  const child = spawn(process.execPath, [INSTANT_SERVER, String(answerBytes)], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
  try {
    const port = await new Promise<number>((resolvePromise, reject) => {
      child.once("message", (message: { port: number }) => resolvePromise(message.port));
      child.once("exit", (code) => reject(new Error(`the instant HTTP server exited with ${code}`)));
    });
    // The same caller and request as the bare calls to the worker: only the server differs.
    const caller = createRawMcpClient(new URL(`http://127.0.0.1:${port}/mcp`));
    const times: number[] = [];
    for (let index = 0; index < calls + 10; index++) {
      if (gapMs > 0) await sleep(gapMs);
      const startedAt = performance.now();
      await caller.callTool("get_scene", { limit: 10 });
      if (index >= 10) times.push(performance.now() - startedAt);
    }
    await caller.close();
    return percentile(times, 50);
  } finally {
    child.kill();
  }
}

async function runPlain(blender: string, blend: string | undefined, args: string[], scratch: string): Promise<Record<string, unknown>> {
  const out = join(scratch, `plain-${Date.now()}-${Math.random().toString(16).slice(2)}.json`);
  const [mode, ...rest] = args as [string, ...string[]];
  const script = ["--", mode, out, ...rest];
  // The bpy module has no command line of its own: bench_plain.py opens the .blend itself.
  const launch = isPythonInterpreter(blender)
    ? ["-I", PLAIN_SCRIPT, ...(blend ? [blend] : []), ...script]
    : ["-b", "--factory-startup", ...(blend ? [blend] : []), "--python", PLAIN_SCRIPT, ...script];
  await run(blender, launch, { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(await readFile(out, "utf8"));
}

/**
 * Plain Blender rendering the frame range of `blend` to an MP4 with `blender -b -a`, set up by
 * bench_plain.py as render_animation sets up the worker's Blender. The bpy module has no -a:
 * there bench_plain.py renders the animation itself.
 */
async function runPlainAnimation(blender: string, blend: string, args: string[], scratch: string): Promise<{ renderMs: number }> {
  if (isPythonInterpreter(blender)) return (await runPlain(blender, blend, ["animation", ...args], scratch)) as { renderMs: number };
  const out = join(scratch, `plain-animation-${Date.now()}.json`);
  await run(blender, ["-b", "--factory-startup", blend, "--python", PLAIN_SCRIPT, "-a", "--", "animation", out, ...args], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(await readFile(out, "utf8"));
}

export async function runWorkerBench(options: WorkerBenchOptions, log: (line: string) => void): Promise<WorkerBenchResult> {
  const scratch = await mkdtemp(join(tmpdir(), "bod-bench-worker-"));
  try {
    log(`cold starts (${options.runs} each)…`);
    const startup = { workerReadyMs: [] as number[], workerBlenderReadyMs: [] as number[], plainBlenderReadyMs: [] as number[] };
    for (let index = 0; index < options.runs; index++) {
      const worker = await startWorker(join(scratch, `start-${index}`), options.blender);
      startup.workerReadyMs.push(worker.readyMs);
      startup.workerBlenderReadyMs.push(worker.blenderReadyMs);
      await stopWorker(worker);
      startup.plainBlenderReadyMs.push(await plainBlenderReady(options.blender));
    }

    log(`tool round trips (${options.calls} each, then ${PAUSED_CALLS} after pauses), and the loopback floor…`);
    const dataDir = join(scratch, "project");
    const worker = await startWorker(dataDir, options.blender);
    const memory: WorkerBenchResult["memory"] = {
      workerIdleMiB: await residentMiB(worker.child.pid),
      blenderIdleMiB: await residentMiB(worker.blenderPid),
    };
    const client = new Client({ name: "bod-bench", version: "1.0.0" }, { versionNegotiation: { mode: { pin: "2026-07-28" } } });
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${worker.port}/mcp`)));
    const call = async (name: string, args: Record<string, unknown>) => {
      const startedAt = performance.now();
      const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
      if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
      return { result, ms: performance.now() - startedAt };
    };
    for (let index = 0; index < 10; index++) await call("get_scene", { limit: 10 });
    const raw = createRawMcpClient(new URL(`http://127.0.0.1:${worker.port}/mcp`));
    const answerBytes: number[] = [];
    const rawCall = async (name: string, args: Record<string, unknown>) => {
      const startedAt = performance.now();
      const { blenderMs, text } = await raw.callTool(name, args);
      const ms = performance.now() - startedAt;
      answerBytes.push(Buffer.byteLength(text));
      if (blenderMs === undefined) throw new Error(`${name}: the worker did not say how long Blender took`);
      return { ms, blenderMs };
    };
    for (let index = 0; index < 10; index++) await rawCall("get_scene", { limit: 10 });
    const tools = ["add_object", "get_scene"] as const;
    const perTool = () => ({ add_object: [] as number[], get_scene: [] as number[] });
    const workerTimes = perTool();
    const rawTimes = perTool();
    // Blender's own time for each bare call, as measured inside the worker's Blender.
    const rawBlenderTimes = perTool();
    const pausedOverheads = perTool();
    // Each get_scene follows an add_object, as in the plain run: Blender re-evaluates a changed scene.
    const callPair = (index: number, prefix: string) =>
      [
        ["add_object", { type: "cube", name: `${prefix}${index}`, location: [index % 10, Math.floor(index / 10), 0] }],
        ["get_scene", { limit: 10 }],
      ] as const;
    // The official client's calls, then the bare caller's on a cleared scene, so that both see the
    // same scene sizes; each call follows the last at once. Not interleaved: the official client's
    // own work (its garbage collection above all) would land in the bare caller's round trips.
    for (let index = 0; index < options.calls; index++) {
      for (const [tool, args] of callPair(index, "Bench")) workerTimes[tool].push((await call(tool, args)).ms);
    }
    await call("clear_scene", {});
    for (let index = 0; index < options.calls; index++) {
      for (const [tool, args] of callPair(index, "Raw")) {
        const timed = await rawCall(tool, args);
        rawTimes[tool].push(timed.ms);
        rawBlenderTimes[tool].push(timed.blenderMs);
      }
    }
    // And as a client that pauses between calls makes them (an agent waits for its model): every
    // process involved has gone idle by the time the call arrives.
    for (let index = 0; index < PAUSED_CALLS; index++) {
      for (const [tool, args] of callPair(index, "Paused")) {
        await sleep(PAUSE_MS);
        const timed = await rawCall(tool, args);
        pausedOverheads[tool].push(timed.ms - timed.blenderMs);
      }
    }
    await raw.close();
    const loopback = {
      backToBackP50: await loopbackFloor(options.calls, median(answerBytes), 0),
      pausedP50: await loopbackFloor(PAUSED_CALLS, median(answerBytes), PAUSE_MS),
    };
    // Plain Blender runs the same handlers paced the same way: idle, between calls, for as long as
    // the worker's Blender waits between the bare calls (Blender runs slower after a pause).
    const overheads = Object.fromEntries(
      tools.map((tool) => [tool, rawTimes[tool].map((ms, index) => ms - (rawBlenderTimes[tool][index] ?? 0))]),
    ) as Record<(typeof tools)[number], number[]>;
    const gapMs = median([...overheads.add_object, ...overheads.get_scene]);
    const plainTimes = (await runPlain(options.blender, undefined, ["calls", String(options.calls), gapMs.toFixed(3)], scratch)) as Record<
      "add_object" | "get_scene",
      number[]
    >;
    const roundTrip = Object.fromEntries(
      tools.map((tool) => [
        tool,
        {
          workerP50: percentile(workerTimes[tool], 50),
          workerP99: percentile(workerTimes[tool], 99),
          rawP50: percentile(rawTimes[tool], 50),
          rawP99: percentile(rawTimes[tool], 99),
          blenderInWorkerP50: percentile(rawBlenderTimes[tool], 50),
          overheadP50: percentile(overheads[tool], 50),
          pausedOverheadP50: percentile(pausedOverheads[tool], 50),
          plainP50: percentile(plainTimes[tool], 50),
          plainP99: percentile(plainTimes[tool], 99),
        },
      ]),
    ) as WorkerBenchResult["roundTrip"];

    log(`renders (${options.runs} each)…`);
    await call("clear_scene", { resetAll: true });
    await call("add_object", { type: "cube", name: "RedCube", color: "red" });
    await call("add_object", { type: "uv_sphere", name: "Ball", color: "steelblue", location: [2, 1, 0.5] });
    const exported = await call("export_scene", { format: "blend" });
    const blendId = (exported.result.structuredContent as { artifact: { id: string } }).artifact.id;
    const blend = join(dataDir, "artifacts", blendId);
    const render = { workerMs: [] as number[], plainMs: [] as number[], ratio: 0 };
    const { engine, width, height, samples } = options.render;
    for (let index = 0; index < options.runs; index++) {
      render.workerMs.push((await call("render_frame", { engine, width, height, samples })).ms);
      const plain = await runPlain(
        options.blender,
        blend,
        ["render", engine, String(width), String(height), String(samples), join(scratch, "plain.png")],
        scratch,
      );
      render.plainMs.push(plain.renderMs as number);
    }
    render.ratio = median(render.workerMs) / median(render.plainMs);

    log(`animations: ${ANIMATION.frames} frames ${ANIMATION.width}x${ANIMATION.height} to MP4 (${options.runs} each)…`);
    const last = ANIMATION.frames;
    await call("insert_keyframe", { object: "RedCube", property: "rotation", frame: 1, value: [0, 0, 0], interpolation: "linear" });
    await call("insert_keyframe", { object: "RedCube", property: "rotation", frame: last, value: [0, 0, 360], interpolation: "linear" });
    await call("insert_keyframe", { object: "Ball", property: "location", frame: 1, value: [2, 1, 0.5] });
    await call("insert_keyframe", { object: "Ball", property: "location", frame: last, value: [-2, 1, 1.5] });
    await call("insert_keyframe", { object: "Ball", property: "color", frame: 1, value: "steelblue" });
    await call("insert_keyframe", { object: "Ball", property: "color", frame: last, value: "orange" });
    await call("set_timeline", { frameStart: 1, frameEnd: last, fps: 24 });
    const animatedExport = await call("export_scene", { format: "blend" });
    const animatedBlend = join(dataDir, "artifacts", (animatedExport.result.structuredContent as { artifact: { id: string } }).artifact.id);
    const animation = { workerMs: [] as number[], workerBlenderMs: [] as number[], plainMs: [] as number[], ratio: 0 };
    const animationSize = { width: ANIMATION.width, height: ANIMATION.height };
    const workerAnimation = async () => {
      const startedAt = performance.now();
      // Far longer than a tool call's default minute: 48 frames of EEVEE take that on 2 cores.
      // Asking for progress makes the worker start its answer with the first frame's progress;
      // otherwise nothing comes back until the video is done, and Node's fetch gives up on
      // response headers after 5 minutes.
      const rendered = (await client.callTool(
        { name: "render_animation", arguments: { format: "mp4", engine, ...animationSize, samples } },
        { timeout: 30 * 60_000, onprogress: () => {} },
      )) as CallToolResult;
      animation.workerMs.push(performance.now() - startedAt);
      if (rendered.isError) throw new Error(`render_animation failed: ${JSON.stringify(rendered.content)}`);
      animation.workerBlenderMs.push(Number(rendered._meta?.["bod/blenderMs"] ?? Number.NaN));
    };
    const plainAnimation = async () => {
      const plainArgs = [engine, String(ANIMATION.width), String(ANIMATION.height), String(samples), join(scratch, "plain.mp4")];
      animation.plainMs.push((await runPlainAnimation(options.blender, animatedBlend, plainArgs, scratch)).renderMs);
    };
    // Each side goes first every other run, so a machine that gets busier or quieter during the
    // minutes these take weighs on both alike.
    for (let index = 0; index < options.runs; index++) {
      for (const side of index % 2 === 0 ? [workerAnimation, plainAnimation] : [plainAnimation, workerAnimation]) await side();
    }
    animation.ratio = median(animation.workerMs) / median(animation.plainMs);
    memory.workerAfterMiB = await residentMiB(worker.child.pid);
    memory.blenderAfterMiB = await residentMiB(worker.blenderPid);
    await client.close();
    await stopWorker(worker);
    return { startup, roundTrip, loopback, render, animation, memory };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export function formatWorkerBench(result: WorkerBenchResult, options: WorkerBenchOptions): string {
  const mib = (value: number | undefined) => (value === undefined ? "n/a" : `${value.toFixed(0)} MiB`);
  const { startup, roundTrip, loopback, render, animation, memory } = result;
  const { engine, width, height, samples } = options.render;
  return [
    table([
      [`start-up (median of ${options.runs})`, "worker", "plain blender -b", "difference"],
      [
        "process spawn to ready",
        ms(median(startup.workerReadyMs)),
        ms(median(startup.plainBlenderReadyMs)),
        ms(median(startup.workerReadyMs) - median(startup.plainBlenderReadyMs)),
      ],
      ["  of which Blender boot after the engine took it over", ms(median(startup.workerBlenderReadyMs)), "", ""],
    ]),
    "",
    table([
      [
        `round trip (${options.calls} calls each)`,
        "SDK client p50",
        "p99",
        "bare HTTP p50",
        "p99",
        "Blender in the worker p50",
        "worker overhead p50",
        `after ${PAUSE_MS} ms pauses`,
        "plain blender -b p50",
        "p99",
        "bare HTTP less plain p50",
      ],
      ...(["add_object", "get_scene"] as const).map((tool) => {
        const figures = roundTrip[tool];
        return [
          tool,
          ms(figures.workerP50),
          ms(figures.workerP99),
          ms(figures.rawP50),
          ms(figures.rawP99),
          ms(figures.blenderInWorkerP50),
          ms(figures.overheadP50),
          ms(figures.pausedOverheadP50),
          ms(figures.plainP50),
          ms(figures.plainP99),
          ms(figures.rawP50 - figures.plainP50),
        ];
      }),
    ]),
    "worker overhead: each bare HTTP round trip less the time Blender itself spent on that call (the worker's bod/blenderMs), calls back to back; add_object's includes its fsynced journal entry",
    `after ${PAUSE_MS} ms pauses: the same for ${PAUSED_CALLS} calls each made after a pause, when every process involved has gone idle (what waking them costs depends on the machine)`,
    "bare HTTP less plain: the bare HTTP p50 less the same handler's p50 in a plain blender -b, paced like the worker's calls",
    `loopback floor: the bare caller's p50 to a node:http server in another process that answers at once: ${ms(loopback.backToBackP50)} back to back, ${ms(loopback.pausedP50)} after ${PAUSE_MS} ms pauses`,
    "",
    table([
      [`render ${engine} ${width}x${height} ${samples} samples (median of ${options.runs})`, "worker", "plain blender -b", "ratio"],
      ["render_frame vs bpy.ops.render.render", ms(median(render.workerMs)), ms(median(render.plainMs)), render.ratio.toFixed(3)],
    ]),
    "",
    table([
      [
        `animation ${engine} ${ANIMATION.width}x${ANIMATION.height} ${samples} samples, ${ANIMATION.frames} frames to MP4 (median of ${options.runs})`,
        "worker",
        "plain blender -b -a",
        "ratio",
      ],
      ["render_animation vs blender -b -a", ms(median(animation.workerMs)), ms(median(animation.plainMs)), animation.ratio.toFixed(3)],
      ["  of which Blender in the worker (bod/blenderMs)", ms(median(animation.workerBlenderMs)), "", ""],
      [
        "  the rest: MCP, progress, storing the MP4",
        ms(median(animation.workerMs.map((total, index) => total - (animation.workerBlenderMs[index] ?? Number.NaN)))),
        "",
        "",
      ],
    ]),
    "",
    table([
      ["memory (RSS)", "worker (Node)", "Blender"],
      ["idle, after start", mib(memory.workerIdleMiB), mib(memory.blenderIdleMiB)],
      ["after the benchmark", mib(memory.workerAfterMiB), mib(memory.blenderAfterMiB)],
    ]),
  ].join("\n");
}
