// One headless Blender process running the bridge (python/bridge.py), and the calls made to it.
// It spawns Blender with the private channel on fd 3 (requests) and fd 4 (responses and events),
// waits for the bridge's `ready`, then sends one command at a time from a queue. Every call has a
// timeout and can be cancelled; Blender's own stdout and stderr go to the logger line by line.
// A failure says what happened: the call timed out, was cancelled, Blender crashed, or Blender
// could not be started; and whether Blender had to be force-killed.
import { type ChildProcess, spawn as nodeSpawn, type SpawnOptions } from "node:child_process";
import { createInterface } from "node:readline";
import type { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { TOOL_ERROR_CODES, ToolError, type ToolErrorCode } from "@bod/contracts";
import type { Logger } from "pino";
import { bridgeLaunchArgs, isPythonInterpreter } from "../early-blender.ts";
import type { BridgeCommand, BridgeMessage, BridgeProgressImage, BridgeRequest } from "./bridge-protocol.ts";

/** The launcher, injectable so tests can run a stand-in for Blender. Same shape as `child_process.spawn`. */
export type SpawnFunction = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

/** Render or command progress, as `progress` of `total` steps. */
export interface BridgeProgress {
  progress: number;
  total: number;
  message: string;
  /** An image of the work so far, when the bridge made one (render_frame's first look). */
  image?: BridgeProgressImage;
}

export interface BridgeCallOptions {
  /** Aborting cancels the call: a queued call never runs; a running render is stopped. */
  signal?: AbortSignal;
  /** Time budget for this call in milliseconds, from when it is sent to Blender. Default 30 000. */
  timeoutMs?: number;
  onProgress?: (progress: BridgeProgress) => void;
  /** Told how long Blender itself spent on the command (milliseconds), once it has answered. */
  onBlenderTime?: (blenderMs: number) => void;
}

/**
 * Lifecycle of the process, in order: `idle` (not spawned), `starting` (spawned, waiting for the
 * bridge's ready), `ready` (serving calls), `stopping` (asked to end), `exited`.
 */
export type BlenderProcessState = "idle" | "starting" | "ready" | "stopping" | "exited";

/** How the process ended. `forceKilled` when it had to be sent SIGKILL. */
export interface BlenderExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  forceKilled: boolean;
}

export interface BlenderProcessOptions {
  logger: Logger;
  /**
   * The Blender executable, or a Python interpreter that can import bpy (its file name is
   * python…: see `isPythonInterpreter`). Default BLENDER_PATH, else "blender" (found on PATH).
   */
  blenderPath?: string;
  /** The bridge script. Default this package's python/bridge.py. */
  bridgeScriptPath?: string;
  /** Default `child_process.spawn`. */
  spawn?: SpawnFunction;
  /** Variables added to the inherited environment. */
  env?: Record<string, string | undefined>;
  /** How long Blender may take to report ready, in milliseconds. Default 60 000. */
  readyTimeoutMs?: number;
  /** After SIGTERM, how long to wait before SIGKILL, in milliseconds. Default 2 000. */
  forceKillAfterMs?: number;
  /** How long a cancelled render may take to stop on its own before Blender is killed. Default 1 500 (Cycles can take seconds). */
  cancelGraceMs?: number;
  /** Default call timeout in milliseconds. Default 30 000. */
  defaultTimeoutMs?: number;
}

export interface BlenderProcess {
  /** Spawns Blender and resolves once the bridge is ready. Rejects with blender_unavailable. */
  start(): Promise<{ readyMs: number; blenderVersion: string }>;
  /**
   * Runs one bridge command; calls are queued and sent one at a time. Rejects with a ToolError:
   * the bridge's own error, or timeout / cancelled / blender_crashed / blender_unavailable.
   * After timeout or a forced cancel, Blender has been stopped and this process is done.
   */
  call(command: BridgeCommand, args: Record<string, unknown>, options?: BridgeCallOptions): Promise<unknown>;
  /** Asks the bridge to end (closes its request pipe), then SIGTERM, then SIGKILL. Idempotent. */
  stop(): Promise<BlenderExit>;
  /** Resolves once nothing is running or queued in Blender (a cancelled render may still be stopping), or it has exited. */
  whenIdle(): Promise<void>;
  /** Resolves when the process has ended, however it ended. */
  readonly exited: Promise<BlenderExit>;
  readonly pid: number | undefined;
  readonly state: BlenderProcessState;
  /**
   * Ready and no call sent yet: the scene is still the new-project scene the bridge builds
   * before it reports ready, so resetting it would change nothing.
   */
  readonly pristine: boolean;
}

const DEFAULT_BRIDGE_SCRIPT = fileURLToPath(new URL("../../python/bridge.py", import.meta.url));
const LOG_TAIL_LINES = 20;
// Blender logs render progress on stdout; the bridge's handlers get no sample counts in 3.4.
const SAMPLE_PATTERNS = [/Rendering (\d+) \/ (\d+) samples/, /Sample (\d+)\/(\d+)/];
const BENIGN_STDERR = /^(EGL Error \(0x300[19]\)|Managed to successfully fallback to surfaceless EGL)/;

interface PendingCall {
  request: BridgeRequest;
  options: BridgeCallOptions;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** Set when the call ends early; the response, if one comes, is then ignored. */
  failure?: ToolError;
  /** The caller has its answer; a late response is dropped. */
  settled?: boolean;
  /**
   * The bridge counts this call's samples itself (a render in passes, whose log restarts its
   * count at each pass): the sample counts in Blender's log are not the call's.
   */
  bridgeCountsSamples?: boolean;
  timer?: NodeJS.Timeout;
  removeAbortListener?: () => void;
}

/** Creates a Blender process; nothing starts until `start()`. */
export function createBlenderProcess(options: BlenderProcessOptions): BlenderProcess {
  const logger = options.logger;
  const spawn = options.spawn ?? (nodeSpawn as SpawnFunction);
  const blenderPath = options.blenderPath ?? process.env.BLENDER_PATH ?? "blender";
  const bpyModule = isPythonInterpreter(blenderPath);
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const forceKillAfterMs = options.forceKillAfterMs ?? 2_000;
  const cancelGraceMs = options.cancelGraceMs ?? 1_500;
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 30_000;

  let state: BlenderProcessState = "idle";
  let child: ChildProcess | undefined;
  let nextId = 1;
  let callsSent = 0;
  const queue: PendingCall[] = [];
  let current: PendingCall | undefined;
  let forceKilled = false;
  // Blender's SIGINT handler breaks a running render once; a second SIGINT exits Blender.
  let softBreakUsed = false;
  const logTail: string[] = [];
  let resolveExited: (exit: BlenderExit) => void = () => {};
  const exited = new Promise<BlenderExit>((resolve) => {
    resolveExited = resolve;
  });
  let exitInfo: BlenderExit | undefined;
  let onReady: ((version: string) => void) | undefined;
  const idleWaiters: (() => void)[] = [];

  function requestPipe(): Writable | undefined {
    return (child?.stdio[3] ?? undefined) as Writable | undefined;
  }

  function remember(line: string) {
    logTail.push(line);
    if (logTail.length > LOG_TAIL_LINES) logTail.shift();
  }

  function lastLog(): string {
    return logTail.length ? ` Last Blender output: ${logTail.slice(-5).join(" | ")}` : "";
  }

  /** Calls `onLine` for each line of `stream` (a last line without a newline included), in order. */
  function forEachLine(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void) {
    if (!stream) return;
    const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
    lines.on("line", onLine);
    // A read error on one of Blender's pipes ends its lines; the exit handler reports the failure.
    lines.on("error", (error: Error) => logger.warn({ err: error }, "reading a Blender pipe failed"));
  }

  function onBlenderStdout(line: string) {
    if (!line.trim()) return;
    remember(line);
    logger.debug({ stream: "stdout" }, line);
    const call = current;
    if (!call?.options.onProgress || call.settled || call.bridgeCountsSamples) return;
    for (const pattern of SAMPLE_PATTERNS) {
      const match = pattern.exec(line);
      if (match) {
        const progress = Number(match[1]);
        const total = Number(match[2]);
        report(call, { progress, total, message: `sample ${progress} of ${total}` });
        return;
      }
    }
  }

  function report(call: PendingCall, progress: BridgeProgress) {
    try {
      call.options.onProgress?.(progress);
    } catch (error) {
      // A failing listener must not take the channel down with it.
      logger.warn({ err: error }, "a progress listener threw");
    }
  }

  function onBlenderStderr(line: string) {
    if (!line.trim()) return;
    remember(line);
    // Without a display, every EEVEE render reports its (successful) fallback to surfaceless EGL.
    if (BENIGN_STDERR.test(line)) logger.debug({ stream: "stderr" }, line);
    else logger.info({ stream: "stderr" }, line);
  }

  function onBridgeMessage(line: string) {
    let message: BridgeMessage;
    try {
      message = JSON.parse(line) as BridgeMessage;
    } catch {
      logger.warn({ line: line.slice(0, 200) }, "bridge sent a line that is not JSON");
      return;
    }
    if ("event" in message) {
      if (message.event === "ready") onReady?.(message.blenderVersion);
      else if (message.event === "progress" && current && !current.settled && message.id === current.request.id) {
        if (message.message.startsWith("sample ")) current.bridgeCountsSamples = true;
        report(current, {
          progress: message.progress,
          total: message.total,
          message: message.message,
          ...(message.image ? { image: message.image } : {}),
        });
      }
      return;
    }
    const call = current;
    if (!call || call.request.id !== message.id) {
      logger.warn({ id: message.id }, "bridge answered a call that is no longer waiting");
      return;
    }
    current = undefined;
    if (call.timer) clearTimeout(call.timer);
    if (typeof message.ms === "number" && !call.settled) call.options.onBlenderTime?.(message.ms);
    settle(
      call,
      message.ok
        ? { value: message.result }
        : { error: new ToolError(asCode(message.error.code), message.error.message, message.error.data) },
    );
    pump();
  }

  function settle(call: PendingCall, outcome: { value: unknown } | { error: unknown }) {
    if (call.settled) return;
    call.settled = true;
    if (call.timer) clearTimeout(call.timer);
    call.removeAbortListener?.();
    if (call.failure) call.reject(call.failure);
    else if ("error" in outcome) call.reject(outcome.error);
    else call.resolve(outcome.value);
  }

  function pump() {
    if (current || state !== "ready") return;
    const call = queue.shift();
    if (!call) {
      for (const wake of idleWaiters.splice(0)) wake();
      return;
    }
    current = call;
    const timeoutMs = call.options.timeoutMs ?? defaultTimeoutMs;
    call.timer = setTimeout(() => {
      call.failure = new ToolError(
        "timeout",
        `Blender took longer than ${timeoutMs} ms on ${call.request.command}; it was stopped and the scene is being restored. Try again, with less work per call.`,
        { timeoutMs, command: call.request.command },
      );
      void terminate();
    }, timeoutMs);
    callsSent += 1;
    requestPipe()?.write(`${JSON.stringify(call.request)}\n`);
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves when the process has ended. */
  async function terminate(): Promise<BlenderExit> {
    if (!child || exitInfo) return exited;
    if (state !== "exited") state = "stopping";
    child.kill("SIGTERM");
    const timer = setTimeout(() => {
      if (!exitInfo && child) {
        forceKilled = true;
        logger.warn({ pid: child.pid }, "Blender ignored SIGTERM; sending SIGKILL");
        child.kill("SIGKILL");
      }
    }, forceKillAfterMs);
    const exit = await exited;
    clearTimeout(timer);
    return exit;
  }

  function cancel(call: PendingCall) {
    const index = queue.indexOf(call);
    if (index !== -1) {
      queue.splice(index, 1);
      call.failure = new ToolError("cancelled", `${call.request.command} was cancelled before it started.`);
      settle(call, { error: call.failure });
      return;
    }
    if (current !== call || call.failure) return;
    // Blender breaks a running render on its first SIGINT (a second one would exit Blender) and
    // keeps serving; EEVEE and Workbench stop within a sample, an animation before its next frame.
    // Cycles finishes its current batch of samples first, which takes seconds, so a Cycles render
    // is ended by stopping Blender. Either way the caller hears at once; the next call waits until
    // Blender has stopped. The bpy module has no such handler (Python's own only runs once the
    // render has returned), so there every render is ended by stopping Blender.
    const rendering = call.request.command === "render_frame" || call.request.command === "render_animation";
    const softBreak = rendering && call.request.args.engine !== "cycles" && !bpyModule;
    if (softBreak && !softBreakUsed && child?.pid !== undefined) {
      softBreakUsed = true;
      call.failure = new ToolError("cancelled", "The render was cancelled.", { command: call.request.command });
      child.kill("SIGINT");
      settle(call, { error: call.failure });
      const grace = setTimeout(() => {
        if (current === call) {
          logger.warn({ cancelGraceMs }, "Blender did not stop the cancelled render in time; stopping Blender");
          void terminate();
        }
      }, cancelGraceMs);
      void exited.then(() => clearTimeout(grace));
      call.timer = grace;
      return;
    }
    call.failure = new ToolError("cancelled", `${call.request.command} was cancelled; Blender was stopped to end it.`, {
      blenderStopped: true,
    });
    void terminate();
  }

  function onExit(code: number | null, signal: NodeJS.Signals | null) {
    const stopping = state === "stopping";
    exitInfo = { code, signal, forceKilled };
    state = "exited";
    if (!stopping) logger.error({ code, signal }, "Blender exited unexpectedly");
    else logger.info({ code, signal, forceKilled }, "Blender exited");
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const failed = [...(current ? [current] : []), ...queue.splice(0)];
    current = undefined;
    for (const call of failed) {
      if (!call.failure) {
        call.failure = new ToolError(
          "blender_crashed",
          `Blender ${how} during ${call.request.command}; it is restarting with the scene as of the last completed change. Try again.`,
          { code, signal, command: call.request.command },
        );
      } else if (forceKilled && call.failure.data) {
        call.failure.data.forceKilled = true;
      }
      settle(call, { error: call.failure });
    }
    resolveExited(exitInfo);
    for (const wake of idleWaiters.splice(0)) wake();
  }

  async function start(): Promise<{ readyMs: number; blenderVersion: string }> {
    if (state !== "idle") throw new Error(`start() called in state ${state}`);
    state = "starting";
    const started = performance.now();
    const script = options.bridgeScriptPath ?? DEFAULT_BRIDGE_SCRIPT;
    // A Blender executable or a Python interpreter with bpy; either way Python stored inside a
    // .blend (drivers, text blocks) never runs.
    const args = bridgeLaunchArgs(blenderPath, script);
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (message: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        reject(new ToolError("blender_unavailable", message, { blenderPath }));
      };
      const deadline = setTimeout(() => {
        fail(`Blender did not become ready within ${readyTimeoutMs} ms.${lastLog()}`);
        void terminate();
      }, readyTimeoutMs);
      onReady = (blenderVersion) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        state = "ready";
        const readyMs = performance.now() - started;
        logger.info({ pid: child?.pid, blenderVersion, readyMs: Math.round(readyMs) }, "Blender ready");
        resolve({ readyMs, blenderVersion });
        pump();
      };
      try {
        child = spawn(blenderPath, args, {
          stdio: ["ignore", "pipe", "pipe", "pipe", "pipe"],
          env: { ...process.env, ...options.env },
          // Its own process group: a Ctrl-C or a group signal meant for the worker must not kill
          // Blender before the worker has saved the scene. Blender still dies with the worker
          // (the bridge sets PR_SET_PDEATHSIG).
          detached: true,
        });
      } catch (error) {
        state = "exited";
        exitInfo = { code: null, signal: null, forceKilled: false };
        resolveExited(exitInfo);
        fail(`Blender could not be started (${blenderPath}): ${(error as Error).message}`);
        return;
      }
      child.on("error", (error: NodeJS.ErrnoException) => {
        const hint = error.code === "ENOENT" ? ` Blender was not found at "${blenderPath}"; install it or pass its path.` : "";
        logger.error({ err: error }, "Blender process error");
        if (!exitInfo && child?.pid === undefined) {
          exitInfo = { code: null, signal: null, forceKilled: false };
          state = "exited";
          resolveExited(exitInfo);
        }
        fail(`Blender could not be started: ${error.message}.${hint}`);
      });
      child.on("exit", onExit);
      // Reported on close, once Blender's last words have been read from its pipes.
      child.on("close", (code: number | null, signal: NodeJS.Signals | null) => {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        fail(`Blender ${how} before it was ready.${lastLog()}`);
      });
      forEachLine(child.stdout, onBlenderStdout);
      forEachLine(child.stderr, onBlenderStderr);
      forEachLine(child.stdio[4] as NodeJS.ReadableStream | null, onBridgeMessage);
      // The bridge's pipes close when Blender dies; writes after that must not crash the worker.
      child.stdio[3]?.on("error", (error) => logger.debug({ err: error }, "bridge request pipe closed"));
    });
  }

  function call(command: BridgeCommand, args: Record<string, unknown>, callOptions: BridgeCallOptions = {}): Promise<unknown> {
    if (state === "exited" || state === "stopping" || state === "idle") {
      return Promise.reject(
        new ToolError(
          "blender_unavailable",
          state === "idle" ? "Blender has not been started." : "Blender is not running; it is being restarted. Try again.",
        ),
      );
    }
    if (callOptions.signal?.aborted) return Promise.reject(new ToolError("cancelled", `${command} was cancelled before it started.`));
    return new Promise((resolve, reject) => {
      const pending: PendingCall = { request: { id: nextId++, command, args }, options: callOptions, resolve, reject };
      const signal = callOptions.signal;
      if (signal) {
        const onAbort = () => cancel(pending);
        signal.addEventListener("abort", onAbort, { once: true });
        pending.removeAbortListener = () => signal.removeEventListener("abort", onAbort);
      }
      queue.push(pending);
      pump();
    });
  }

  async function stop(): Promise<BlenderExit> {
    if (!child || exitInfo) {
      state = "exited";
      return exitInfo ?? { code: null, signal: null, forceKilled: false };
    }
    state = "stopping";
    // Closing the request pipe ends the bridge's loop; Blender then exits on its own.
    requestPipe()?.end();
    const timer = setTimeout(() => void terminate(), forceKillAfterMs);
    const exit = await exited;
    clearTimeout(timer);
    return exit;
  }

  function whenIdle(): Promise<void> {
    if (exitInfo || (!current && queue.length === 0)) return Promise.resolve();
    return new Promise((resolve) => idleWaiters.push(resolve));
  }

  return {
    start,
    call,
    stop,
    whenIdle,
    exited,
    get pid() {
      return child?.pid;
    },
    get state() {
      return state;
    },
    get pristine() {
      return state === "ready" && callsSent === 0;
    },
  };
}

function asCode(code: string): ToolErrorCode {
  return (TOOL_ERROR_CODES as readonly string[]).includes(code) ? (code as ToolErrorCode) : "internal";
}
