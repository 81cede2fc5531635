// `bod bench agent`: what a chat turn costs, end to end through the gateway of a real `bod serve`
// (its own process, the offline planner, real Blender): time from sending a message to its first
// event, and to the render, on a cold project (no Blender running) and right after on the same,
// now warm, project; each turn split into gateway, agent, runtime, worker and Blender time.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { z } from "zod";
import { median, ms, percentile, table } from "../bench/statistics.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

const BenchAgentFlagsSchema = z.object({
  runs: z.coerce.number().int().min(1).max(50).default(5),
  poolSize: z.coerce.number().int().min(0).max(8).default(0),
  message: z.string().min(1).default("Add a red cube and render the scene"),
  json: z.boolean().default(false),
});
type Flags = z.infer<typeof BenchAgentFlagsSchema>;

/** One turn's figures, milliseconds. */
export interface TurnTiming {
  /** Message sent to the first SSE event. */
  firstEventMs: number;
  /** Message sent to the render_frame result (the image exists). */
  renderMs: number;
  /** Message sent to the last event. */
  totalMs: number;
  /** Request in until the agent's turn started, plus the end of the turn to the response's end. */
  gatewayMs: number;
  /** The agent's own time: the turn less its tool calls (planning, conversation store, events). */
  agentMs: number;
  /** The activator's own share of the wake-up: waiting for a slot, binding, bookkeeping. */
  runtimeMs: number;
  /** Worker process start, scene restore, MCP handling and tool calls less Blender's rendering. */
  workerMs: number;
  /** Blender starting up (0 on a warm project, and when a pool worker was bound). */
  blenderStartMs: number;
  /** Blender rendering (render_frame's own measure). */
  blenderRenderMs: number;
}

export interface AgentBenchResult {
  machine: string;
  poolSize: number;
  message: string;
  cold: TurnTiming[];
  warm: TurnTiming[];
}

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
  at: number;
}

interface ColdStart {
  totalMs: number;
  spawnMs: number;
  blenderReadyMs: number;
  sceneRestoreMs: number;
  queueMs: number;
}

async function startServer(
  dataDir: string,
  poolSize: number,
): Promise<{ child: ChildProcess; url: string; token: string; runtimeToken: string }> {
  const child = spawn(
    process.execPath,
    ["--disable-warning=ExperimentalWarning", MAIN, "serve", "--port", "0", "--data-dir", dataDir, "--pool-size", String(poolSize)],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, BOD_LOG_LEVEL: "warn", BOD_LLM_PROVIDER: "" },
    },
  );
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bod serve did not start: ${stderr}`)), 60_000);
    child.once("exit", (code) => reject(new Error(`bod serve exited with ${code}: ${stderr}`)));
    child.stdout!.on("data", (chunk) => {
      stdout += chunk;
      const web = /web UI and API: (\S+?)\/?\s+sign-in token: (\S+)/.exec(stdout);
      const runtime = /^token: (\S+)$/m.exec(stdout);
      if (web && runtime) {
        clearTimeout(timer);
        resolve({ child, url: web[1]!, token: web[2]!, runtimeToken: runtime[1]! });
      }
    });
  });
}

async function streamTurn(url: string, token: string, projectId: string, text: string): Promise<SseEvent[]> {
  const sentAt = performance.now();
  const response = await fetch(`${url}/api/projects/${projectId}/messages`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ text }),
  });
  if (!response.ok) throw new Error(`POST messages: ${response.status} ${await response.text()}`);
  const { readEventStream } = await import("@bod/gateway/read-event-stream");
  const events: SseEvent[] = [];
  await readEventStream(response.body!, (event, data) => events.push({ event, data, at: performance.now() - sentAt }));
  return events;
}

/** Splits one turn's time by where it went; `coldStart` only for the turn that woke Blender. */
export function splitTurn(events: SseEvent[], coldStart: ColdStart | undefined): TurnTiming {
  const find = (type: string) => events.find((event) => event.event === type);
  const turn = find("turn")?.data as
    | { status: string; toolCalls: Array<{ name: string; durationMs: number; result?: { renderMs?: number } }> }
    | undefined;
  if (turn?.status !== "completed") throw new Error(`The turn did not complete: ${JSON.stringify(turn ?? events.at(-1))}`);
  const renderEnd = events.find((event) => event.event === "tool-call-end" && event.data.name === "render_frame");
  if (!renderEnd) throw new Error("The turn made no render.");
  const turnEnd = find("turn-end")!;
  const turnMs = Number(turnEnd.data.durationMs);
  const toolMs = turn.toolCalls.reduce((sum, call) => sum + call.durationMs, 0);
  const renderInBlender = turn.toolCalls.find((call) => call.name === "render_frame")?.result?.renderMs ?? 0;
  const start = coldStart ?? { totalMs: 0, spawnMs: 0, blenderReadyMs: 0, sceneRestoreMs: 0, queueMs: 0 };
  const totalMs = events.at(-1)!.at;
  return {
    firstEventMs: events[0]!.at,
    renderMs: renderEnd.at,
    totalMs,
    gatewayMs: Math.max(0, totalMs - turnMs),
    agentMs: Math.max(0, turnMs - toolMs),
    runtimeMs: Math.max(0, start.totalMs - start.spawnMs - start.blenderReadyMs - start.sceneRestoreMs),
    workerMs: Math.max(0, start.spawnMs + start.sceneRestoreMs + (toolMs - start.totalMs - renderInBlender)),
    blenderStartMs: start.blenderReadyMs,
    blenderRenderMs: renderInBlender,
  };
}

export async function runAgentBench(flags: Flags, log: (line: string) => void): Promise<AgentBenchResult> {
  const { machineLine } = await import("./bench.ts");
  const dataDir = await mkdtemp(join(tmpdir(), "bod-bench-agent-"));
  const server = await startServer(dataDir, flags.poolSize);
  const api = async <T>(path: string, init: RequestInit = {}, token = server.token): Promise<T> => {
    const response = await fetch(`${server.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    });
    if (!response.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${response.status} ${await response.text()}`);
    return (response.status === 204 ? undefined : await response.json()) as T;
  };
  const result: AgentBenchResult = { machine: machineLine(), poolSize: flags.poolSize, message: flags.message, cold: [], warm: [] };
  try {
    for (let run = 0; run < flags.runs; run++) {
      if (flags.poolSize > 0) await new Promise((resolve) => setTimeout(resolve, 3000)); // let the pool refill
      const project = await api<{ id: string }>("/api/projects", { method: "POST", body: JSON.stringify({ name: `bench ${run}` }) });
      const coldEvents = await streamTurn(server.url, server.token, project.id, flags.message);
      const instance = await api<{ coldStart: ColdStart }>(`/api/instances/${project.id}`, {}, server.runtimeToken);
      const cold = splitTurn(coldEvents, instance.coldStart);
      const warm = splitTurn(await streamTurn(server.url, server.token, project.id, flags.message), undefined);
      result.cold.push(cold);
      result.warm.push(warm);
      log(`run ${run + 1}/${flags.runs}: cold render ${ms(cold.renderMs)}, warm render ${ms(warm.renderMs)}`);
      await api(`/api/projects/${project.id}`, { method: "DELETE" });
    }
  } finally {
    const exited = new Promise((resolve) => server.child.once("exit", resolve));
    server.child.kill("SIGTERM");
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  }
  return result;
}

export function formatAgentBench(result: AgentBenchResult): string {
  const columns: Array<[string, keyof TurnTiming]> = [
    ["message → first event", "firstEventMs"],
    ["message → render", "renderMs"],
    ["message → last event", "totalMs"],
    ["  gateway", "gatewayMs"],
    ["  agent (planner, store, events)", "agentMs"],
    ["  runtime (activator's share of wake-up)", "runtimeMs"],
    ["  worker (process, restore, MCP, calls)", "workerMs"],
    ["  Blender start-up", "blenderStartMs"],
    ["  Blender render", "blenderRenderMs"],
  ];
  const cell = (samples: TurnTiming[], key: keyof TurnTiming) => {
    const values = samples.map((sample) => sample[key]);
    return `${ms(median(values))} (p95 ${ms(percentile(values, 95))})`;
  };
  return [
    `message: "${result.message}", ${result.cold.length} runs, warm pool ${result.poolSize}; median (p95)`,
    "",
    table([
      ["", "cold project", "warm project"],
      ...columns.map(([label, key]) => [label, cell(result.cold, key), cell(result.warm, key)]),
    ]),
  ].join("\n");
}

/** Attaches `agent` to the `bench` command. */
export function registerBenchAgentCommand(bench: Command): void {
  bench
    .command("agent")
    .description("A chat turn through the gateway: message to first event and to render, cold and warm, split by component")
    .option("--runs <n>", "cold/warm turn pairs, each on a new project", "5")
    .option("--pool-size <n>", "warm pool of the server under test", "0")
    .option("--message <text>", "the message to send", "Add a red cube and render the scene")
    .option("--json", "print the raw figures as JSON")
    .action(async (rawFlags) => {
      const parsed = BenchAgentFlagsSchema.safeParse(rawFlags);
      if (!parsed.success) {
        console.error(`bod bench agent: ${z.prettifyError(parsed.error)}`);
        process.exit(2);
      }
      const result = await runAgentBench(parsed.data, (line) => console.error(line));
      if (parsed.data.json) console.log(JSON.stringify(result, null, 2));
      else console.log(`bod bench agent — ${result.machine}\n\n${formatAgentBench(result)}`);
    });
}
