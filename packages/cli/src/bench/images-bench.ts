// `bod bench images`: the container images as an operator meets them, measured in one run on one
// machine:
//   - sizes of the worker and gateway images (uncompressed, as `podman images` counts them);
//   - cold start of the worker image: from `podman run` to /healthz answering 200, and to the
//     first tool result (add_object over MCP), with the shared stores (PostgreSQL + S3) the way a
//     cluster runs it, against plain `blender -b --factory-startup` started in the same image the
//     same way (`podman run` with blender as the entrypoint) until its Python runs;
//   - the drain on SIGTERM: `podman stop` of a worker holding a scene it must snapshot to S3 (and
//     the drain as the worker logs it), against `podman stop` of a process in the same image that
//     exits at once on SIGTERM (what podman itself takes).
// Servers come from the flags, or are started here (PostgreSQL from Debian, versitygw) when absent.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { buildImages, GATEWAY_IMAGE, imageSize, LOCAL_PODMAN_RUN_FLAGS, podman, WORKER_IMAGE, waitForHttp } from "@bod/testing";
import { type BenchServers, prepareBenchServers } from "./bench-servers.ts";
import { createRawMcpClient } from "./raw-mcp-client.ts";
import { median, ms, table } from "./statistics.ts";

export interface ImagesBenchOptions {
  /** Cold starts per side. */
  runs: number;
  /** Objects in the scene the drained worker snapshots. */
  objects: number;
  /** Run scripts/build-images.sh first (it reuses what is cached). */
  build: boolean;
  /** A PostgreSQL to use (a database is created in it); default: one started for the run. */
  postgresUrl?: string;
  /** An S3 endpoint to use with the AWS_* credentials; default: versitygw started for the run. */
  s3Endpoint?: string;
}

export interface ImagesBenchResult {
  /** Seconds scripts/build-images.sh took in this run (cached layers make it short), if it ran. */
  buildSeconds?: number;
  sizes: { workerBytes: number; gatewayBytes: number };
  start: {
    /** `podman run` to /healthz 200, per run. */
    healthzMs: number[];
    /** `podman run` to the first add_object result, per run. */
    firstToolMs: number[];
    /** `podman run` of blender in the same image to its Python running, per run. */
    plainBlenderMs: number[];
    /** The scene restore as the worker logs it ("worker ready" phases), per run. */
    sceneRestoreMs: number[];
    /** How long the worker waited for Blender's bridge once its own start was done, as it logs it, per run. */
    blenderWaitMs: number[];
  };
  drain: {
    /** `podman stop` of a worker with `objects` objects not yet snapshotted. */
    stopMs: number[];
    /** `podman stop` of a process in the same image that exits at once on SIGTERM. */
    bareStopMs: number[];
    /** The drain as the worker logs it (`savedMs`: in-flight calls, the snapshot, the store). */
    workerSavedMs: number[];
    /** Size of the snapshot the drain stored in S3. */
    snapshotBytes: number;
    /** The worker's exit codes (0 for a clean drain). */
    exitCodes: number[];
  };
}

/** The worker image's size aim, and how close its first answer must come to plain Blender's start. */
export const WORKER_IMAGE_AIM_BYTES = 1.2e9;
export const START_AIM_MS = 300;

type Log = (line: string) => void;

/** `podman run --rm` in the foreground, as the tests and an operator start one. */
function podmanRun(name: string, args: readonly string[]): ChildProcess {
  return spawn("podman", ["run", "--rm", "--name", name, ...LOCAL_PODMAN_RUN_FLAGS, ...args], { stdio: ["ignore", "pipe", "pipe"] });
}

function exited(child: ChildProcess): Promise<number> {
  return new Promise((resolvePromise) => {
    if (child.exitCode !== null) resolvePromise(child.exitCode);
    else child.once("exit", (code) => resolvePromise(code ?? -1));
  });
}

const STORE_CREDENTIALS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "PGPASSWORD"];

/** A worker container on `port` for a new project; resolves once /healthz answers. */
async function startWorkerContainer(servers: BenchServers, port: number) {
  const projectId = `bench-${randomBytes(4).toString("hex")}`;
  const name = `bod-bench-${projectId}`;
  const startedAt = performance.now();
  const child = podmanRun(name, [
    ...[
      "--env",
      `BOD_PROJECT_ID=${projectId}`,
      "--env",
      `BOD_STATE_URL=${servers.postgresUrl}`,
      "--env",
      `BOD_ARTIFACT_URL=${servers.artifactUrl}`,
    ],
    ...STORE_CREDENTIALS.filter((key) => process.env[key] !== undefined).flatMap((key) => ["--env", key]),
    WORKER_IMAGE,
    ...["worker", "--host", "127.0.0.1", "--port", String(port), "--data-dir", "/tmp/bod-project"],
  ]);
  let output = "";
  const take = (chunk: string) => {
    output = (output + chunk).slice(-8000);
  };
  child.stdout?.setEncoding("utf8").on("data", take);
  child.stderr?.setEncoding("utf8").on("data", take);
  const failed = exited(child).then((code) => {
    throw new Error(`the worker container exited with ${code} before it was ready:\n${output}`);
  });
  failed.catch(() => undefined);
  const healthzMs = await Promise.race([waitForHttp(`http://127.0.0.1:${port}/healthz`, { since: startedAt, intervalMs: 5 }), failed]);
  return { projectId, name, child, startedAt, healthzMs, output: () => output };
}

/** `podman stop --time 60 NAME`, timed; resolves with the milliseconds and the container's exit code. */
async function timedStop(name: string, child: ChildProcess): Promise<{ ms: number; exitCode: number }> {
  const startedAt = performance.now();
  await podman(["stop", "--time", "60", name], { timeoutMs: 90_000 });
  const stopMs = performance.now() - startedAt;
  return { ms: stopMs, exitCode: await exited(child) };
}

/** Plain Blender in the worker image, started the same way, until its Python runs. */
async function plainBlenderStart(): Promise<number> {
  const startedAt = performance.now();
  const child = podmanRun(`bod-bench-blender-${randomBytes(4).toString("hex")}`, [
    "--entrypoint",
    "blender",
    WORKER_IMAGE,
    "-b",
    "--factory-startup",
    "--python-expr",
    "import sys; sys.stderr.write('BOD_PLAIN_READY\\n'); sys.stderr.flush()",
  ]);
  let output = "";
  const ready = await new Promise<number>((resolvePromise, reject) => {
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      if (output.includes("BOD_PLAIN_READY")) resolvePromise(performance.now() - startedAt);
    });
    child.once("exit", (code) =>
      reject(new Error(`blender in the image exited with ${code} before its Python ran:\n${output.slice(-2000)}`)),
    );
  });
  await exited(child);
  return ready;
}

/** `podman stop` of a process in the worker image that exits at once on SIGTERM: podman's own share. */
async function bareStop(): Promise<number> {
  const name = `bod-bench-bare-${randomBytes(4).toString("hex")}`;
  const child = podmanRun(name, [
    "--entrypoint",
    "node",
    WORKER_IMAGE,
    "-e",
    "process.on('SIGTERM', () => process.exit(0)); console.log('up'); setInterval(() => {}, 1 << 30);",
  ]);
  await new Promise<void>((resolvePromise, reject) => {
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      if (chunk.includes("up")) resolvePromise();
    });
    child.once("exit", (code) => reject(new Error(`the bare container exited with ${code}`)));
  });
  return (await timedStop(name, child)).ms;
}

export async function runImagesBench(options: ImagesBenchOptions, log: Log): Promise<ImagesBenchResult> {
  let buildSeconds: number | undefined;
  if (options.build) {
    log("building the images (scripts/build-images.sh; cached layers are reused)…");
    buildSeconds = (await buildImages({ onOutput: (line) => log(`  ${line}`) })).seconds;
  }
  const sizes = { workerBytes: await imageSize(WORKER_IMAGE), gatewayBytes: await imageSize(GATEWAY_IMAGE) };
  const servers = await prepareBenchServers(options, log);
  const { freePort } = await import("@bod/testing");
  try {
    const start: ImagesBenchResult["start"] = {
      healthzMs: [],
      firstToolMs: [],
      plainBlenderMs: [],
      sceneRestoreMs: [],
      blenderWaitMs: [],
    };
    // One unmeasured start of each: the first container after a build pays for the page cache.
    log("warming up: one start of each, unmeasured…");
    {
      const worker = await startWorkerContainer(servers, await freePort());
      await timedStop(worker.name, worker.child);
      await plainBlenderStart();
    }
    log(`cold starts (${options.runs} each, alternating)…`);
    for (let index = 0; index < options.runs; index++) {
      const port = await freePort();
      const worker = await startWorkerContainer(servers, port);
      const client = createRawMcpClient(new URL(`http://127.0.0.1:${port}/mcp`));
      await client.callTool("add_object", { type: "cube" });
      start.firstToolMs.push(performance.now() - worker.startedAt);
      start.healthzMs.push(worker.healthzMs);
      const phases = /"phases":\{"listenMs":\d+,"blenderReadyMs":(\d+),"sceneRestoreMs":(\d+)\}/.exec(worker.output());
      if (phases) {
        start.blenderWaitMs.push(Number(phases[1]));
        start.sceneRestoreMs.push(Number(phases[2]));
      }
      await client.close();
      await timedStop(worker.name, worker.child);
      start.plainBlenderMs.push(await plainBlenderStart());
    }

    log(`drains: a scene of ${options.objects} objects to snapshot (${options.runs} runs), and podman's own stop…`);
    const drain: ImagesBenchResult["drain"] = { stopMs: [], bareStopMs: [], workerSavedMs: [], snapshotBytes: 0, exitCodes: [] };
    const { createS3Client } = await import("@bod/storage/scale-out");
    const s3 = createS3Client(servers.location);
    const types = ["cube", "uv_sphere", "cylinder", "cone", "torus", "ico_sphere"];
    for (let index = 0; index < options.runs; index++) {
      const port = await freePort();
      const worker = await startWorkerContainer(servers, port);
      const client = createRawMcpClient(new URL(`http://127.0.0.1:${port}/mcp`));
      for (let object = 0; object < options.objects; object++) {
        await client.callTool("add_object", { type: types[object % types.length], location: [object % 6, Math.floor(object / 6), 0] });
      }
      await client.close();
      const stopped = await timedStop(worker.name, worker.child);
      drain.stopMs.push(stopped.ms);
      drain.exitCodes.push(stopped.exitCode);
      const saved = /"savedMs":(\d+)[^\n]*"worker drained"/.exec(worker.output());
      if (saved) drain.workerSavedMs.push(Number(saved[1]));
      const head = await s3.send(
        new HeadObjectCommand({ Bucket: servers.location.bucket, Key: `projects/${worker.projectId}/scene/snapshot.blend` }),
      );
      drain.snapshotBytes = head.ContentLength ?? 0;
      drain.bareStopMs.push(await bareStop());
    }
    return { ...(buildSeconds !== undefined ? { buildSeconds } : {}), sizes, start, drain };
  } finally {
    await servers.stop();
  }
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

/** The figures as tables, then one line per aim. */
export function formatImagesBench(result: ImagesBenchResult, options: ImagesBenchOptions): string {
  const { sizes, start, drain } = result;
  const healthz = median(start.healthzMs);
  const firstTool = median(start.firstToolMs);
  const plain = median(start.plainBlenderMs);
  const drainMs = median(drain.stopMs);
  const bare = median(drain.bareStopMs);
  const mark = (ok: boolean) => (ok ? "meets the aim" : "MISSES the aim");
  return [
    table([
      ["image", "size"],
      [WORKER_IMAGE, megabytes(sizes.workerBytes)],
      [GATEWAY_IMAGE, megabytes(sizes.gatewayBytes)],
    ]),
    "",
    table([
      [`cold start, podman run to … (median of ${options.runs})`, "ms", "less plain blender -b"],
      ["worker: /healthz 200", ms(healthz), ms(healthz - plain)],
      ["worker: first tool result (add_object)", ms(firstTool), ms(firstTool - plain)],
      ["  of which, logged by the worker: Blender still booting once the rest was ready", ms(median(start.blenderWaitMs)), ""],
      ["  of which, logged by the worker: scene restore (a new project, PostgreSQL + S3)", ms(median(start.sceneRestoreMs)), ""],
      ["plain blender -b --factory-startup: its Python runs", ms(plain), ""],
    ]),
    "",
    table([
      [`SIGTERM to exit, podman stop (median of ${options.runs})`, "ms"],
      [`worker with ${options.objects} objects to snapshot (${(drain.snapshotBytes / 1e3).toFixed(0)} kB to S3)`, ms(drainMs)],
      ["a process that exits at once (podman's own share)", ms(bare)],
      ["the difference", ms(drainMs - bare)],
      ["the drain as the worker logs it (savedMs)", ms(median(drain.workerSavedMs))],
    ]),
    "",
    ...(result.buildSeconds !== undefined
      ? [`build (scripts/build-images.sh, as cached at the time): ${result.buildSeconds.toFixed(0)} s`, ""]
      : []),
    `worker image: ${megabytes(sizes.workerBytes)} against the 1.2 GB aim: ${mark(sizes.workerBytes < WORKER_IMAGE_AIM_BYTES)}`,
    `cold start: first tool result ${ms(firstTool - plain)} after plain Blender's Python (/healthz ${ms(healthz - plain)}) against the ${START_AIM_MS} ms aim: ${mark(firstTool - plain <= START_AIM_MS)}`,
    `drain on SIGTERM: ${ms(drainMs)} with a ${options.objects}-object scene to snapshot, exit codes ${[...new Set(drain.exitCodes)].join(", ")} (0 is a clean drain)`,
  ].join("\n");
}
