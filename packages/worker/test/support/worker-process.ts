// Starts a real `bod worker` process for end-to-end tests and waits for its `ready` message
// on the runtime control channel, the same way the runtime does.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import type { StartPhases, WorkerToRuntime } from "../../src/control-protocol.ts";

export const REPOSITORY_ROOT = resolve(import.meta.dirname, "../../../..");
export const CLI_ENTRY = join(REPOSITORY_ROOT, "packages/cli/src/main.ts");

export interface WorkerProcess {
  child: ChildProcess;
  port: number;
  url: string;
  dataDir: string;
  phases: StartPhases;
  blenderPid: number | undefined;
  /** Everything the worker wrote to stderr (its logs), for failure messages. */
  logs: () => string;
  stop: () => Promise<void>;
}

export async function makeTempDir(prefix = "bod-test-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function startWorkerProcess(
  options: { dataDir?: string; extraArgs?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<WorkerProcess> {
  const dataDir = options.dataDir ?? (await makeTempDir());
  const child = spawn(process.execPath, [CLI_ENTRY, "worker", "--port", "0", "--data-dir", dataDir, ...(options.extraArgs ?? [])], {
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    env: { ...process.env, ...options.env },
  });
  let logs = "";
  child.stdout?.on("data", (chunk) => {
    logs += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    logs += chunk;
  });
  const ready = await new Promise<{ port: number; phases: StartPhases; blenderPid: number | undefined }>((resolvePromise, reject) => {
    let port = 0;
    const timer = setTimeout(() => reject(new Error(`worker not ready after 60 s:\n${logs}`)), 60_000);
    child.on("message", (message: WorkerToRuntime) => {
      if (message.type === "listening") port = message.port;
      if (message.type === "ready") {
        clearTimeout(timer);
        resolvePromise({ port, phases: message.phases, blenderPid: message.blenderPid });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code} before ready:\n${logs}`));
    });
  });
  return {
    child,
    ...ready,
    url: `http://127.0.0.1:${ready.port}`,
    dataDir,
    logs: () => logs,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolvePromise) => child.once("exit", resolvePromise));
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** The official MCP client, connected to `worker` over Streamable HTTP at protocol 2026-07-28. */
export async function connectClient(worker: Pick<WorkerProcess, "url">, name: string): Promise<Client> {
  const client = new Client({ name, version: "1.0.0" }, { versionNegotiation: { mode: { pin: "2026-07-28" } } });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${worker.url}/mcp`)));
  return client;
}
