// End-to-end harness: a real runtime (activator, process launcher, HTTP front) on a free port,
// spawning real `bod worker` processes with real Blender, and the official MCP client to talk to it.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type CallToolResult, Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { pino } from "pino";
import { createBearerTokenAuthenticator } from "../src/http/auth.ts";
import { createRuntimeServer } from "../src/http/runtime-server.ts";
import { createLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from "../src/local-runtime.ts";
import { createRuntimeMetrics } from "../src/metrics.ts";
import { createProcessLauncher } from "../src/process-launcher.ts";
import { createProjectArtifactStore } from "../src/project-artifact-store.ts";
import { defaultHiddenPaths } from "../src/sandbox.ts";
import type { LaunchOptions, WorkerLauncher } from "../src/worker-launcher.ts";

export const REPO_ROOT = resolve(import.meta.dirname, "../../..");
export const WORKER_COMMAND = [
  process.execPath,
  "--disable-warning=ExperimentalWarning",
  join(REPO_ROOT, "packages/cli/src/main.ts"),
  "worker",
];
export const TOKEN = "test-token-0123456789abcdef";

/** bwrap when it is installed and works on this machine. */
export const BWRAP = ["/usr/bin/bwrap"].find(
  (path) => existsSync(path) && spawnSync(path, ["--ro-bind", "/", "/", "--unshare-all", "--", "true"]).status === 0,
);

export interface Harness {
  url: string;
  runtime: LocalRuntime;
  dataDir: string;
  launches: LaunchOptions[];
  mcpUrl(projectId: string): URL;
  connect(projectId: string): Promise<Client>;
  api(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export interface HarnessOptions extends Partial<Omit<LocalRuntimeOptions, "dataDir" | "launcher">> {
  sandbox?: boolean;
  /** Environment for workers (e.g. BLENDER_PATH of a stand-in). */
  workerEnv?: Record<string, string>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), "bod-runtime-e2e-"));
  const sandbox = options.sandbox ?? BWRAP !== undefined;
  if (sandbox && !BWRAP) throw new Error("bubblewrap is not available");
  const processLauncher = createProcessLauncher({
    workerCommand: WORKER_COMMAND,
    ...(sandbox && BWRAP ? { sandbox: { bwrapPath: BWRAP, hide: defaultHiddenPaths(dataDir) } } : {}),
    env: { BOD_LOG_LEVEL: "warn", ...options.workerEnv },
    cwd: REPO_ROOT,
    // As `bod serve` launches them: Blender started by a shell, adopted by the worker.
    startBlenderFirst: true,
  });
  const launches: LaunchOptions[] = [];
  const launcher: WorkerLauncher = {
    isolation: processLauncher.isolation,
    launch(launchOptions) {
      launches.push(launchOptions);
      return processLauncher.launch(launchOptions);
    },
  };
  const metrics = createRuntimeMetrics();
  let baseUrl = "";
  const runtime = createLocalRuntime({
    dataDir,
    launcher,
    metrics,
    logger: pino({ level: process.env.BOD_TEST_LOG ?? "silent" }),
    publicUrlFor: (projectId) => `${baseUrl}/projects/${projectId}`,
    ...options,
  });
  const server: Server = createRuntimeServer({
    runtime,
    authenticator: createBearerTokenAuthenticator(TOKEN),
    metrics,
    artifacts: createProjectArtifactStore((projectId) => runtime.projectDirOf(projectId)),
    poolStatus: () => runtime.poolStatus(),
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  baseUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  const clients: Client[] = [];

  return {
    url: baseUrl,
    runtime,
    dataDir,
    launches,
    mcpUrl: (projectId) => new URL(`${baseUrl}/projects/${projectId}/mcp`),
    async connect(projectId) {
      const client = new Client({ name: "runtime-e2e", version: "1.0.0" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${baseUrl}/projects/${projectId}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
        }),
      );
      clients.push(client);
      return client;
    },
    api: (path, init) => fetch(`${baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, ...init?.headers } }),
    async close() {
      await Promise.allSettled(clients.map((client) => client.close()));
      server.closeAllConnections();
      server.close();
      await runtime.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function structured(result: unknown): Record<string, unknown> {
  const call = result as CallToolResult;
  if (call.isError) throw new Error(`tool error: ${JSON.stringify(call.content)}`);
  return call.structuredContent as Record<string, unknown>;
}

export async function objectNames(client: Client): Promise<string[]> {
  const scene = structured(await client.callTool({ name: "get_scene", arguments: {} }));
  return (scene.objects as { name: string }[]).map((object) => object.name).sort();
}

/** Descendants of `rootPid` whose command line matches `pattern`, from /proc. */
export async function findDescendants(rootPid: number, pattern: RegExp): Promise<number[]> {
  const all = (await readdir("/proc")).filter((entry) => /^\d+$/.test(entry));
  const parentOf = new Map<number, number>();
  const commandOf = new Map<number, string>();
  for (const entry of all) {
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    if (!stat) continue;
    commandOf.set(Number(entry), (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).replaceAll("\0", " "));
    parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
  }
  const isDescendant = (pid: number): boolean => {
    for (let current = parentOf.get(pid); current !== undefined && current > 1; current = parentOf.get(current))
      if (current === rootPid) return true;
    return false;
  };
  return [...commandOf].filter(([pid, command]) => pattern.test(command) && isDescendant(pid)).map(([pid]) => pid);
}

export async function instance(harness: Harness, projectId: string) {
  return (await harness.runtime.list()).find((entry) => entry.projectId === projectId);
}

export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 25));
  }
}
