// A server process the tests own (PostgreSQL, the S3 server): started in its own process group so
// that kill() takes the server and all its children down at once like a crash, its output kept for
// error messages, and never left running when the test process exits.
import { type ChildProcess, spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import type { Socket } from "node:net";

/** How much of a server's output is kept for error messages, in characters. */
const OUTPUT_LIMIT = 32_768;

export interface ServerProcessOptions {
  /** Runs the server as this user and group (only when the test process is root). */
  uid?: number;
  gid?: number;
  env?: NodeJS.ProcessEnv;
}

export interface ServerProcess {
  readonly pid: number;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  readonly exited: Promise<string>;
  /** Whether the process has ended. */
  hasExited(): boolean;
  /** The last 32 KiB of its stdout and stderr, interleaved. */
  output(): string;
  /** Sends `signal` to the server process itself. */
  signal(signal: NodeJS.Signals): void;
  /** SIGKILLs the whole process group (the server and every child it started) and waits for the server's exit. */
  killGroup(): Promise<void>;
  /** Sends `signal`, waits up to `timeoutMs` for the exit, then kills the group. */
  stop(signal: NodeJS.Signals, timeoutMs: number): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills every server still running when the test process ends, however it ends. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of running) killProcessGroup(child.pid, "SIGKILL");
  });
}

function killProcessGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** Starts `command` detached in its own process group, output captured. */
export function spawnServer(command: string, args: string[], options: ServerProcessOptions = {}): ServerProcess {
  installExitHook();
  const child = spawn(command, args, {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: options.env ?? process.env,
    ...(options.uid !== undefined ? { uid: options.uid } : {}),
    ...(options.gid !== undefined ? { gid: options.gid } : {}),
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let ended = false;
  const exited = new Promise<string>((resolve) => {
    child.once("error", (error) => {
      ended = true;
      running.delete(child);
      keep(Buffer.from(`\n${command}: ${error.message}\n`));
      resolve(`error: ${error.message}`);
    });
    child.once("exit", (code, signal) => {
      ended = true;
      running.delete(child);
      resolve(signal ?? String(code));
    });
  });
  running.add(child);
  // The test process may end while a server runs; the exit hook, not the handle, takes care of it.
  child.unref();
  (child.stdout as Socket | null)?.unref();
  (child.stderr as Socket | null)?.unref();

  const killGroup = async () => {
    if (ended) return;
    killProcessGroup(child.pid, "SIGKILL");
    await exited;
  };
  return {
    get pid() {
      return child.pid ?? -1;
    },
    exited,
    hasExited: () => ended,
    output: () => output,
    signal(signal) {
      if (!ended) child.kill(signal);
    },
    killGroup,
    async stop(signal, timeoutMs) {
      if (ended) return;
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), timeoutMs);
      });
      const result = await Promise.race([exited, timedOut]);
      clearTimeout(timer);
      if (result === "timeout") await killGroup();
    },
  };
}

/**
 * Calls `probe` every `intervalMs` until it resolves true; fails when `server` exits first or
 * `timeoutMs` passes, with the server's output in the message.
 */
export async function waitUntilReady(
  name: string,
  server: ServerProcess,
  probe: () => Promise<boolean>,
  timeoutMs = 30_000,
  intervalMs = 25,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.hasExited()) throw new Error(`${name} exited during start (${await server.exited}):\n${server.output()}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) {
      await server.killGroup();
      throw new Error(`${name} did not answer within ${timeoutMs} ms:\n${server.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** What a test does with a server of its own: its pid, and stop, kill, restart and destroy. */
export interface ManagedServer {
  /** The server process's pid (-1 before it first started). */
  readonly pid: number;
  stop(): Promise<void>;
  /** SIGKILLs the server and everything it started at once, as a crash would. */
  kill(): Promise<void>;
  /** Stops the server when it runs, then starts it again on the same port and data. */
  restart(): Promise<void>;
  /** Stops the server and deletes `root`. */
  destroy(): Promise<void>;
}

/**
 * Starts a server with `start` (which returns its process once it answers) and gives a test
 * control of it; `root`, the server's temporary folder, goes when the first start fails or on
 * destroy(). `stopSignal` is the server's own clean, quick shutdown.
 */
export async function startManagedServer(options: {
  root: string;
  start: () => Promise<ServerProcess>;
  stopSignal: NodeJS.Signals;
  stopTimeoutMs: number;
}): Promise<ManagedServer> {
  let server: ServerProcess | undefined;
  const start = async () => {
    server = await options.start();
  };
  const stop = async () => {
    await server?.stop(options.stopSignal, options.stopTimeoutMs);
  };
  try {
    await start();
  } catch (error) {
    await rm(options.root, { recursive: true, force: true });
    throw error;
  }
  return {
    get pid() {
      return server?.pid ?? -1;
    },
    stop,
    async kill() {
      await server?.killGroup();
    },
    async restart() {
      await stop();
      await start();
    },
    async destroy() {
      await stop();
      await rm(options.root, { recursive: true, force: true });
    },
  };
}
