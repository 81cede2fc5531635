// The WorkerLauncher over local processes: spawns `bod worker` with a Node IPC channel (the
// control protocol), in a process group of its own so the whole tree (worker and Blender) can
// be signalled at once, optionally inside a bubblewrap sandbox (sandbox.ts), optionally with its
// Blender started by a shell just before the worker's Node (`startBlenderFirst`).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { blenderFirstCommand } from "@bod/worker/early-blender";
import { bwrapArguments, SANDBOX_ROOT, SANDBOX_SOCKET, type SandboxOptions } from "./sandbox.ts";
import type { LaunchedWorker, LaunchOptions, RuntimeToWorker, WorkerLauncher, WorkerToRuntime } from "./worker-launcher.ts";

export interface ProcessLauncherOptions {
  /**
   * Command line that runs a worker, without its flags, e.g.
   * `[process.execPath, "/repo/packages/cli/src/main.ts", "worker"]`.
   */
  workerCommand: readonly string[];
  /** Run each worker inside bubblewrap; omit to run them as plain child processes. */
  sandbox?: SandboxOptions;
  /** Extra environment for workers (e.g. BLENDER_PATH, BOD_LOG_LEVEL). */
  env?: Record<string, string>;
  /** Copy the workers' stderr (their logs) to this process's stderr. Default false: only a tail is kept. */
  forwardOutput?: boolean;
  /** Working directory of workers. Default this process's. */
  cwd?: string;
  /**
   * Node's compile cache for workers (NODE_COMPILE_CACHE): compiled code and stripped TypeScript
   * kept between runs, which takes about half the worker's start-up CPU off Blender's boot.
   * Sandboxed workers only read it; `bod serve` fills it (`warmWorkerCompileCache`).
   */
  compileCacheDir?: string;
  /**
   * Start each worker's Blender from a shell before the worker's Node starts, which then adopts
   * it (`blenderFirstCommand`): Blender's boot begins about 100 ms sooner. It is the Blender the
   * worker would start: BLENDER_PATH from the workers' environment, or "blender".
   */
  startBlenderFirst?: boolean;
}

const TAIL_BYTES = 4096;

export function createProcessLauncher(options: ProcessLauncherOptions): WorkerLauncher {
  const cwd = options.cwd ?? process.cwd();
  const [program, ...programArgs] = options.workerCommand;
  if (!program) throw new Error("workerCommand is empty");
  if (options.compileCacheDir) mkdirSync(options.compileCacheDir, { recursive: true });
  // Sandboxed workers see the compile cache read-only, so none can tamper with another's code.
  const sandbox = options.sandbox && {
    ...options.sandbox,
    readOnly: [...(options.sandbox.readOnly ?? []), ...(options.compileCacheDir ? [options.compileCacheDir] : [])],
  };

  return {
    isolation: sandbox ? "bubblewrap" : "none",
    launch(launchOptions: LaunchOptions): LaunchedWorker {
      const sandboxed = sandbox !== undefined;
      const root = sandboxed ? SANDBOX_ROOT : launchOptions.instanceDir;
      const dataDir = join(root, "project");
      // A sandboxed worker has no network at all: it listens on a Unix socket in its own folder,
      // which the runtime reaches from outside the sandbox.
      const flags = [
        ...(sandboxed ? ["--socket", SANDBOX_SOCKET] : ["--host", "127.0.0.1", "--port", "0"]),
        ...(launchOptions.deferBind ? ["--defer-bind"] : ["--data-dir", dataDir]),
        ...(launchOptions.publicUrl ? ["--public-url", launchOptions.publicUrl] : []),
        ...(launchOptions.projectId ? ["--project-id", launchOptions.projectId] : []),
      ];
      const workerArgs = [...programArgs, ...flags];
      // Unsandboxed workers keep their scratch files in their own folder, removed with it.
      if (!sandboxed) mkdirSync(join(launchOptions.instanceDir, "tmp"), { recursive: true });
      const env: Record<string, string | undefined> = {
        ...process.env,
        ...options.env,
        TMPDIR: sandboxed ? "/tmp" : join(launchOptions.instanceDir, "tmp"),
        ...(options.compileCacheDir ? { NODE_COMPILE_CACHE: options.compileCacheDir } : {}),
      };
      const command = options.startBlenderFirst
        ? blenderFirstCommand(env.BLENDER_PATH ?? "blender", [program, ...workerArgs])
        : [program, ...workerArgs];
      const [executable, ...args] = sandbox
        ? [sandbox.bwrapPath, ...bwrapArguments(sandbox, launchOptions.instanceDir, command, cwd)]
        : command;
      const child: ChildProcess = spawn(executable as string, args, {
        cwd,
        env,
        stdio: ["ignore", "ignore", "pipe", "ipc"],
        detached: true,
      });
      return wrapChild(child, {
        bindPath: dataDir,
        socketPath: sandboxed ? join(launchOptions.instanceDir, "worker.sock") : undefined,
        forwardOutput: options.forwardOutput ?? false,
      });
    },
  };
}

function wrapChild(
  child: ChildProcess,
  facts: { bindPath: string; socketPath: string | undefined; forwardOutput: boolean },
): LaunchedWorker {
  let tail = "";
  let port: number | undefined;
  let exitReason: string | undefined;
  const messageListeners: ((message: WorkerToRuntime) => void)[] = [];
  const exitListeners: ((reason: string) => void)[] = [];

  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    if (facts.forwardOutput) process.stderr.write(chunk);
    tail = (tail + chunk).slice(-TAIL_BYTES);
  });
  child.on("message", (message: WorkerToRuntime) => {
    if (message.type === "listening") port = message.port;
    for (const listener of messageListeners) listener(message);
  });
  const onGone = (reason: string) => {
    if (exitReason !== undefined) return;
    exitReason = reason;
    // Whatever the worker left behind in its group (a Blender it could not stop) goes with it.
    signalGroup(child.pid, "SIGKILL");
    for (const listener of exitListeners) listener(reason);
  };
  child.on("exit", (code, signal) => onGone(signal ? `signal ${signal}` : `exit code ${code}`));
  child.on("error", (error) => onGone(`spawn failed: ${error.message}`));

  return {
    pid: child.pid,
    bindPath: facts.bindPath,
    endpoint() {
      if (port === undefined) return undefined;
      return facts.socketPath ? { socketPath: facts.socketPath } : { host: "127.0.0.1", port };
    },
    send(message: RuntimeToWorker) {
      if (!child.connected) throw new Error("the worker's control channel is closed");
      child.send(message);
    },
    onMessage(listener) {
      messageListeners.push(listener);
    },
    onExit(listener) {
      if (exitReason !== undefined) listener(exitReason);
      else exitListeners.push(listener);
    },
    kill(signal) {
      if (exitReason !== undefined) return;
      if (!signalGroup(child.pid, signal)) child.kill(signal);
    },
    stderrTail: () => tail,
  };
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}
