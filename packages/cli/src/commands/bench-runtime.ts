// `bod bench runtime`: what the runtime costs and saves, measured against plain Blender and
// against calling the worker directly, in the same run on the same machine. Each `bod serve`
// under test is its own process, started the way a user would start it.
import { type ChildProcess, spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { cpus, freemem, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Client } from "@modelcontextprotocol/client";
import type { Command } from "commander";
import { z } from "zod";
import { residentMiB } from "../bench/process-memory.ts";
import { median, ms, percentile, table } from "../bench/statistics.ts";
import { findWorkingBwrap } from "./serve.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const TOKEN = "bench-token-0123456789abcdef";

const BenchRuntimeFlagsSchema = z.object({
  runs: z.coerce.number().int().min(1).max(50).default(7),
  calls: z.coerce.number().int().min(10).max(20_000).default(500),
  idleProjects: z.coerce.number().int().min(0).max(100_000).default(1000),
  active: z.coerce.number().int().min(1).max(200).default(8),
  json: z.boolean().default(false),
  only: z
    .string()
    .default("plain,spawn,hop,idle,pool,sandbox,active")
    .transform((list) => new Set(list.split(",").map((part) => part.trim()))),
  blender: z.string().default(process.env.BLENDER_PATH ?? "blender"),
});
type Flags = z.infer<typeof BenchRuntimeFlagsSchema>;

interface ColdRun {
  totalMs: number;
  queueMs: number;
  spawnMs: number;
  blenderReadyMs: number;
  sceneRestoreMs: number;
  /** Request to first tool result, minus the start the runtime measured: MCP initialize + the call. */
  callMs: number;
}

interface InstanceView {
  projectId: string;
  state: string;
  pid?: number;
  rssBytes?: number;
  endpoint?: { host: string; port: number } | { socketPath: string };
  coldStart?: { queueMs: number; spawnMs: number; blenderReadyMs: number; sceneRestoreMs: number; totalMs: number; fromPool: boolean };
}

/** A `bod serve` child process and a small client for it. */
class Serve {
  readonly child: ChildProcess;
  readonly url: string;
  constructor(child: ChildProcess, url: string) {
    this.child = child;
    this.url = url;
  }

  static async start(dataDir: string, flags: string[], blender: string): Promise<Serve> {
    const child = spawn(
      process.execPath,
      ["--disable-warning=ExperimentalWarning", MAIN, "serve", "--port", "0", "--data-dir", dataDir, ...flags],
      {
        stdio: ["ignore", "pipe", "ignore"],
        env: { ...process.env, BOD_TOKEN: TOKEN, BLENDER_PATH: blender, BOD_LOG_LEVEL: "warn" },
      },
    );
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout?.setEncoding("utf8");
      child.stdout?.on("data", (chunk: string) => {
        out += chunk;
        const match = /runtime ready: (http:\/\/\S+?)\/projects\//.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      child.once("exit", (code) => reject(new Error(`bod serve exited with ${code}`)));
    });
    return new Serve(child, url);
  }

  async api<T>(path: string, method = "GET"): Promise<T> {
    const response = await fetch(`${this.url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` } });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  instance(projectId: string): Promise<InstanceView> {
    return this.api<InstanceView>(`/api/instances/${projectId}`);
  }

  async waitPoolIdle(size: number): Promise<void> {
    for (;;) {
      const { pool } = await this.api<{ pool?: { idle: number } }>("/api/instances");
      if ((pool?.idle ?? 0) >= size) return;
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGTERM");
    await exited;
  }
}

function sleep(msToWait: number) {
  return new Promise((resolve) => setTimeout(resolve, msToWait));
}

async function connect(url: string, headers: Record<string, string> = {}): Promise<Client> {
  // Loaded on use: every `bod` command imports this file to register it.
  const { Client, StreamableHTTPClientTransport } = await import("@modelcontextprotocol/client");
  const client = new Client({ name: "bod-bench-runtime", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

const auth = { authorization: `Bearer ${TOKEN}` };

/** Request to first tool result for a project whose worker is stopped; its scene has `objects` objects to restore. */
/** One cold start: request to first tool result on a project whose worker is stopped, then drain it. */
async function coldStart(serve: Serve, projectId: string, run: number, poolSize: number, log: (line: string) => void): Promise<ColdRun> {
  if (poolSize > 0) await serve.waitPoolIdle(poolSize);
  await sleep(300); // let the machine settle after the last drain or refill
  const startedAt = performance.now();
  const client = await connect(`${serve.url}/projects/${projectId}/mcp`, auth);
  const result = await client.callTool({
    name: "add_object",
    arguments: { type: "cube", name: `Run${run}`, color: "red", location: [run, 0, 0] },
  });
  const totalMs = performance.now() - startedAt;
  if (result.isError) throw new Error(`add_object failed: ${JSON.stringify(result.content)}`);
  await client.close();
  const phases = (await serve.instance(projectId)).coldStart!;
  log(`  ${projectId} run ${run + 1}: ${ms(totalMs)} (${JSON.stringify(phases)})`);
  await serve.api(`/api/instances/${projectId}/drain`, "POST");
  return {
    totalMs,
    queueMs: phases.queueMs,
    spawnMs: phases.spawnMs,
    blenderReadyMs: phases.blenderReadyMs,
    sceneRestoreMs: phases.sceneRestoreMs,
    callMs: totalMs - phases.totalMs,
  };
}

/** Plain `blender -b` from spawn to its Python running: what any Blender-backed start must pay. */
async function plainBlenderStart(blender: string): Promise<number> {
  const startedAt = performance.now();
  const child = spawn(blender, ["-b", "--factory-startup", "--python-expr", "import sys; print('BOD-READY', flush=True); sys.exit(0)"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      if (out.includes("BOD-READY")) resolve(performance.now() - startedAt);
    });
    child.once("exit", (code) => (out.includes("BOD-READY") ? undefined : reject(new Error(`blender exited with ${code}`))));
  });
}

/** Interleaved calls through the runtime and straight to the same worker: the hop is the difference. */
async function hop(
  serve: Serve,
  calls: number,
  boxed: Serve | undefined,
): Promise<{ samples: Record<"ping" | "get_scene", { runtime: number[]; direct: number[] }>; boxedPing: number[] }> {
  const projectId = "hop";
  const viaRuntime = await connect(`${serve.url}/projects/${projectId}/mcp`, auth);
  await viaRuntime.callTool({ name: "add_object", arguments: { type: "cube", name: "HopCube" } });
  const view = await serve.instance(projectId);
  if (!view.endpoint || !("port" in view.endpoint)) throw new Error("the hop is measured against an unsandboxed worker on a TCP port");
  const direct = await connect(`http://127.0.0.1:${view.endpoint.port}/mcp`);
  // The same ping through a runtime whose worker is in bwrap (over its Unix socket), in the same rounds.
  const viaBoxed = boxed ? await connect(`${boxed.url}/projects/hop-boxed/mcp`, auth) : undefined;
  const boxedPing: number[] = [];
  const samples = {
    ping: { runtime: [] as number[], direct: [] as number[] },
    get_scene: { runtime: [] as number[], direct: [] as number[] },
  };
  const time = async (call: () => Promise<unknown>) => {
    const startedAt = performance.now();
    await call();
    return performance.now() - startedAt;
  };
  // Warm up both paths (connections, JIT) before measuring.
  for (let i = 0; i < 50; i++) {
    await viaRuntime.ping();
    await direct.ping();
    await viaBoxed?.ping();
  }
  for (let i = 0; i < calls; i++) {
    const runtimeFirst = i % 2 === 0;
    for (const [name, call] of [
      ["ping", (client: Client) => client.ping()],
      ["get_scene", (client: Client) => client.callTool({ name: "get_scene", arguments: {} })],
    ] as const) {
      const a = await time(() => call(runtimeFirst ? viaRuntime : direct));
      const b = await time(() => call(runtimeFirst ? direct : viaRuntime));
      samples[name].runtime.push(runtimeFirst ? a : b);
      samples[name].direct.push(runtimeFirst ? b : a);
    }
    if (viaBoxed) boxedPing.push(await time(() => viaBoxed.ping()));
  }
  await viaRuntime.close();
  await direct.close();
  await viaBoxed?.close();
  return { samples, boxedPing };
}

async function folderBytes(path: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    total += entry.isDirectory() ? await folderBytes(full) : (await stat(full)).size;
  }
  return total;
}

export interface RuntimeBenchResult {
  machine: string;
  /** 1-minute load average when the run started and when it ended: other work on the machine skews every figure. */
  load: { start: number; end: number };
  isolation: string;
  plainBlenderStartMs: number[];
  cold: { spawn: ColdRun[]; pool: ColdRun[]; spawnSandboxed?: ColdRun[] | undefined };
  hop: Record<"ping" | "get_scene", { runtimeP50: number; directP50: number; runtimeP95: number; directP95: number; hopP50: number }>;
  sandboxedPingP50?: number | undefined;
  idle: { projects: number; processes: number; serveRssBeforeMiB: number; serveRssAfterMiB: number; diskMiB: number };
  active: { workers: number; startAllMs: number; meanWorkerRssMiB: number; memoryBoundWorkers: number };
}

export async function runRuntimeBench(flags: Flags, log: (line: string) => void): Promise<RuntimeBenchResult> {
  const root = await mkdtemp(join(tmpdir(), "bod-bench-runtime-"));
  const loadAtStart = loadavg()[0] ?? 0;
  const bwrap = findWorkingBwrap();
  const isolation = bwrap ? "bubblewrap" : "none";
  try {
    const want = (part: string) => flags.only.has(part);
    // Plain Blender, the runtime without a pool and the runtime with bwrap, one after the other in
    // each round, so a load change on the machine hits all three alike.
    const plain = await Serve.start(join(root, "plain"), ["--sandbox", "off", "--idle-timeout", "600"], flags.blender);
    const boxed =
      bwrap && want("sandbox")
        ? await Serve.start(join(root, "boxed"), ["--sandbox", "on", "--idle-timeout", "600"], flags.blender)
        : undefined;
    const plainBlenderStartMs: number[] = [];
    const spawnRuns: ColdRun[] = [];
    const boxedRuns: ColdRun[] = [];
    const rounds = want("plain") || want("spawn") || want("sandbox") ? flags.runs : want("idle") ? 1 : 0;
    if (rounds > 0) log("plain Blender start, cold starts without the pool (plain and in bwrap) ...");
    for (let run = 0; run < rounds; run++) {
      if (want("plain")) plainBlenderStartMs.push(await plainBlenderStart(flags.blender));
      if (want("spawn") || want("idle")) spawnRuns.push(await coldStart(plain, "cold-spawn", run, 0, log));
      if (boxed) boxedRuns.push(await coldStart(boxed, "cold-boxed", run, 0, log));
    }
    const empty = { runtime: [] as number[], direct: [] as number[] };
    let hopSamples = { ping: empty, get_scene: empty };
    let sandboxedPingP50: number | undefined;
    if (want("hop")) {
      log("runtime hop against direct calls ...");
      const measured = await hop(plain, flags.calls, boxed);
      hopSamples = measured.samples;
      if (boxed) sandboxedPingP50 = median(measured.boxedPing);
      await plain.api("/api/instances/hop/drain", "POST");
      await boxed?.api("/api/instances/hop-boxed/drain", "POST");
    }
    await boxed?.stop();

    let idle = { projects: 0, processes: 0, serveRssBeforeMiB: Number.NaN, serveRssAfterMiB: Number.NaN, diskMiB: 0 };
    if (want("idle")) {
      log(`cost of ${flags.idleProjects} idle projects ...`);
      await sleep(500);
      const serveRssBeforeMiB = (await residentMiB(plain.child.pid)) ?? Number.NaN;
      const template = join(root, "plain", "projects", "cold-spawn");
      for (let i = 0; i < flags.idleProjects; i++) await cp(template, join(root, "plain", "projects", `idle-${i}`), { recursive: true });
      // Every idle project answers its instance and artifact routes without a process.
      for (let i = 0; i < flags.idleProjects; i += 1) {
        await fetch(`${plain.url}/api/instances/idle-${i}`, { headers: auth }).then((response) => response.arrayBuffer());
      }
      const { instances } = await plain.api<{ instances: InstanceView[] }>("/api/instances");
      const processes = instances.filter((entry) => entry.state !== "stopped").length;
      const serveRssAfterMiB = (await residentMiB(plain.child.pid)) ?? Number.NaN;
      const diskMiB = (await folderBytes(join(root, "plain", "projects"))) / 2 ** 20;
      idle = { projects: flags.idleProjects, processes, serveRssBeforeMiB, serveRssAfterMiB, diskMiB };
    }
    await plain.stop();

    const poolRuns: ColdRun[] = [];
    if (want("pool")) {
      log("cold starts with the pool ...");
      const pooled = await Serve.start(
        join(root, "pool"),
        ["--pool-size", "1", "--idle-timeout", "600", ...(bwrap ? ["--sandbox", "on"] : [])],
        flags.blender,
      );
      for (let run = 0; run < flags.runs; run++) poolRuns.push(await coldStart(pooled, "cold-pool", run, 1, log));
      await pooled.stop();
    }

    const spawnSandboxed = boxed ? boxedRuns : undefined;

    let active = { workers: 0, startAllMs: Number.NaN, meanWorkerRssMiB: Number.NaN, memoryBoundWorkers: Number.NaN };
    if (want("active")) {
      log(`${flags.active} active workers at once ...`);
      const many = await Serve.start(
        join(root, "many"),
        ["--max-instances", String(flags.active), "--idle-timeout", "600", "--start-timeout", "300", ...(bwrap ? ["--sandbox", "on"] : [])],
        flags.blender,
      );
      const startAllAt = performance.now();
      const clients = await Promise.all(
        Array.from({ length: flags.active }, (_, i) => connect(`${many.url}/projects/active-${i}/mcp`, auth)),
      );
      await Promise.all(clients.map((client) => client.callTool({ name: "get_scene", arguments: {} })));
      const startAllMs = performance.now() - startAllAt;
      await sleep(1000);
      const { instances: running } = await many.api<{ instances: InstanceView[] }>("/api/instances");
      const rss = running.map((entry) => entry.rssBytes ?? 0).filter((bytes) => bytes > 0);
      const meanWorkerRssMiB = rss.reduce((sum, bytes) => sum + bytes, 0) / rss.length / 2 ** 20;
      for (const client of clients) await client.close();
      await many.stop();
      const memoryBoundWorkers = Math.floor((freemem() * 0.9) / (meanWorkerRssMiB * 2 ** 20)) + flags.active;
      active = { workers: flags.active, startAllMs, meanWorkerRssMiB, memoryBoundWorkers };
    }

    const summarize = (name: "ping" | "get_scene") => {
      const { runtime, direct } = hopSamples[name];
      return {
        runtimeP50: median(runtime),
        directP50: median(direct),
        runtimeP95: percentile(runtime, 95),
        directP95: percentile(direct, 95),
        hopP50: median(runtime.map((value, index) => value - direct[index]!)),
      };
    };
    return {
      machine: `${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}`,
      load: { start: loadAtStart, end: loadavg()[0] ?? 0 },
      isolation,
      plainBlenderStartMs,
      cold: { spawn: spawnRuns, pool: poolRuns, spawnSandboxed },
      hop: { ping: summarize("ping"), get_scene: summarize("get_scene") },
      sandboxedPingP50,
      idle,
      active,
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

export function formatRuntimeBench(result: RuntimeBenchResult): string {
  const coldRow = (label: string, runs: ColdRun[] | undefined) => {
    if (!runs) return [label, "n/a", "n/a", "", "", "", ""];
    const p = (pick: (run: ColdRun) => number) => ms(median(runs.map(pick)));
    return [
      label,
      ms(median(runs.map((run) => run.totalMs))),
      ms(
        percentile(
          runs.map((run) => run.totalMs),
          95,
        ),
      ),
      p((run) => run.spawnMs),
      p((run) => run.blenderReadyMs),
      p((run) => run.sceneRestoreMs),
      p((run) => run.callMs),
    ];
  };
  const plainP50 = median(result.plainBlenderStartMs);
  const spawnP50 = median(result.cold.spawn.map((run) => run.totalMs));
  const lines = [
    "Cold start: request to first tool result (add_object on a project whose scene is restored), p50 of phases",
    table([
      ["", "p50", "p95", "spawn", "blender ready", "scene restored", "call"],
      coldRow(result.isolation === "bubblewrap" ? "with pool (1), bwrap" : "with pool (1)", result.cold.pool),
      coldRow("without pool", result.cold.spawn),
      coldRow("without pool, bwrap", result.cold.spawnSandboxed),
      ["plain blender -b start", ms(plainP50), ms(percentile(result.plainBlenderStartMs, 95)), "", "", "", ""],
    ]),
    `without pool vs plain Blender start: +${ms(spawnP50 - plainP50)} (p50)`,
    "",
    "Warm calls through the runtime against the same worker called directly (interleaved)",
    table([
      ["call", "runtime p50", "direct p50", "runtime p95", "direct p95", "hop p50"],
      ...(["ping", "get_scene"] as const).map((name) => {
        const row = result.hop[name];
        return [name, ms(row.runtimeP50), ms(row.directP50), ms(row.runtimeP95), ms(row.directP95), ms(row.hopP50)];
      }),
    ]),
    result.sandboxedPingP50 !== undefined
      ? `ping through the runtime to a bwrap-sandboxed worker (over its Unix socket), same rounds: p50 ${ms(result.sandboxedPingP50)}`
      : "",
    "",
    result.idle.projects === 0
      ? ""
      : `${result.idle.projects} idle projects: ${result.idle.processes} processes, server RSS ${result.idle.serveRssBeforeMiB.toFixed(0)} MiB before and ${result.idle.serveRssAfterMiB.toFixed(0)} MiB after, ${result.idle.diskMiB.toFixed(1)} MiB on disk`,
    result.active.workers === 0
      ? ""
      : `${result.active.workers} active workers started at once in ${ms(result.active.startAllMs)}; ${result.active.meanWorkerRssMiB.toFixed(0)} MiB each (worker + Blender${result.isolation === "bubblewrap" ? " + bwrap" : ""}); memory holds about ${result.active.memoryBoundWorkers}`,
  ];
  return lines.filter((line, index, all) => line !== "" || all[index - 1] !== "").join("\n");
}

export function registerBenchRuntimeCommand(bench: Command): void {
  bench
    .command("runtime")
    .description("Cold start to first result with and without the pool, runtime hop against direct calls, idle cost, capacity")
    .option("--runs <n>", "cold starts per mode and plain Blender starts", "7")
    .option("--calls <n>", "warm calls per path for the hop", "500")
    .option("--idle-projects <n>", "idle projects for the idle cost", "1000")
    .option("--active <n>", "workers started at once for the capacity figure", "8")
    .option("--only <parts>", "comma-separated subset of: plain,spawn,hop,idle,pool,sandbox,active")
    .option("--json", "print the raw figures as JSON")
    .option("--blender <path>", "Blender executable")
    .action(async (rawFlags) => {
      const parsed = BenchRuntimeFlagsSchema.safeParse(rawFlags);
      if (!parsed.success) {
        console.error(`bod bench runtime: ${z.prettifyError(parsed.error)}`);
        process.exit(2);
      }
      await mkdir(tmpdir(), { recursive: true });
      const result = await runRuntimeBench(parsed.data, (line) => console.error(line));
      if (parsed.data.json) console.log(JSON.stringify(result, null, 2));
      else
        console.log(
          `bod bench runtime — ${result.machine}, load average ${result.load.start.toFixed(1)} → ${result.load.end.toFixed(1)}, workers isolated with: ${result.isolation}\n\n${formatRuntimeBench(result)}`,
        );
    });
}
