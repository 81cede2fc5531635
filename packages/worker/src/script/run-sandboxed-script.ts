// Runs one run_script call's code in a Blender of its own inside the script sandbox
// (script-sandbox.ts), on a copy of the scene: writes the code and a marker into a fresh scratch
// folder beside the copy, starts the sandbox, keeps a bounded share of what the code prints, stops
// it at the time limit, and hands back the scene it saved. Fails with a ToolError that carries the
// output: `timeout`, `cancelled`, or `script_failed` (the code raised, ran out of memory, or the
// sandboxed Blender ended some other way).
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SCRIPT_LIMITS, ToolError } from "@bod/contracts";
import { type ResolvedScriptSandbox, runnerCommand, scriptSandboxCommand, writeSeccompFilter } from "./script-sandbox.ts";

export interface ScriptRunRequest {
  code: string;
  /** Wall-clock limit in seconds. */
  timeoutSeconds: number;
  /** A fresh folder holding the scene copy as `in.blend`; the sandbox's only writable folder. */
  scratchDir: string;
  signal?: AbortSignal;
}

/** A script that ended well: the scene it left, what it printed, and its `result`. */
export interface ScriptRunOutcome {
  /** The scene the code left, a file in the scratch folder. */
  sceneFile: string;
  output: string;
  outputTruncated: boolean;
  outputBytes: number;
  /** The code's global `result` as JSON data, when it set one that JSON can carry. */
  result?: unknown;
  /** Why `result` is missing although the code set one (not JSON data, too long). */
  resultError?: string;
  durationMs: number;
}

/** What the runner writes to result.json; untrusted, since the code runs beside it. */
interface RunnerStatus {
  ok?: unknown;
  error?: unknown;
  result?: unknown;
  resultError?: unknown;
}

/** Seconds the sandboxed Blender has to start and open the scene, and to save it after the code. */
const PHASE_SECONDS = 60;

/** Runs the code; see the file's comment for how it ends. */
export async function runSandboxedScript(sandbox: ResolvedScriptSandbox, request: ScriptRunRequest): Promise<ScriptRunOutcome> {
  const { scratchDir } = request;
  const marker = `bod-script-${randomBytes(16).toString("hex")}`;
  await writeFile(join(scratchDir, "script.py"), request.code, "utf8");
  await writeFile(join(scratchDir, "marker"), `${marker}\n`, "utf8");
  const seccompFd = writeSeccompFilter(join(scratchDir, "filter.bpf"));
  const [program, ...args] = scriptSandboxCommand(sandbox, scratchDir, runnerCommand(sandbox.blenderPath), {
    cpuSeconds: request.timeoutSeconds + 2 * PHASE_SECONDS,
    seccompFd: 3,
  });
  const startedAt = performance.now();
  let child: ChildProcess;
  try {
    // No variable of the worker's reaches the sandbox: bwrap clears them, and prlimit gets none.
    child = spawn(program as string, args, { stdio: ["ignore", "pipe", "pipe", seccompFd], env: {}, detached: true });
  } finally {
    closeSync(seccompFd);
  }
  // The time limit is the code's own: Blender's start, opening the scene and saving it afterwards
  // each get PHASE_SECONDS of their own.
  const progress: { stage: "starting" | "running" | "saving" } = { stage: "starting" };
  let timer: NodeJS.Timeout | undefined;
  const deadline = (seconds: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => stop("timeout"), seconds * 1000);
  };
  const output = createOutputCollector(marker, SCRIPT_LIMITS.maxOutputBytes, {
    onOpened: () => {
      progress.stage = "running";
      deadline(request.timeoutSeconds);
    },
    onClosed: () => {
      progress.stage = "saving";
      deadline(PHASE_SECONDS);
    },
  });
  const diagnostics = createTail(4096);
  child.stdout?.on("data", (chunk: Buffer) => output.push(chunk));
  child.stderr?.on("data", (chunk: Buffer) => diagnostics.push(chunk));

  let stoppedFor: "timeout" | "cancelled" | undefined;
  const stop = (reason: "timeout" | "cancelled") => {
    stoppedFor ??= reason;
    // bwrap, and with it (--die-with-parent, and as the PID namespace's init) everything inside.
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }
  };
  deadline(PHASE_SECONDS);
  const onAbort = () => stop("cancelled");
  request.signal?.addEventListener("abort", onAbort, { once: true });
  if (request.signal?.aborted) onAbort();

  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.on("error", (error) => resolve({ code: null, signal: null, error }));
    child.on("close", (code, signal) => resolve({ code, signal }));
  });
  clearTimeout(timer);
  request.signal?.removeEventListener("abort", onAbort);
  const durationMs = performance.now() - startedAt;
  const printed = output.finish();
  const outputData = { output: printed.text, outputTruncated: printed.truncated, outputBytes: printed.bytes };

  if (exit.error) throw new ToolError("internal", `The script sandbox could not be started: ${exit.error.message}`);
  if (stoppedFor === "cancelled")
    throw new ToolError("cancelled", "The script was cancelled and stopped; the scene is unchanged.", outputData);
  if (stoppedFor === "timeout") {
    const { stage } = progress;
    const what =
      stage === "running"
        ? `The script ran past its time limit of ${request.timeoutSeconds} s and was stopped`
        : `The sandboxed Blender took more than ${PHASE_SECONDS} s to ${stage === "starting" ? "start and open the scene" : "save the scene"} and was stopped`;
    throw new ToolError("timeout", `${what}; the scene is unchanged.${outputHint(printed.text)}`, {
      ...outputData,
      timeoutSeconds: request.timeoutSeconds,
      stage,
    });
  }

  const status = await readStatus(join(scratchDir, "result.json"));
  const sceneFile = join(scratchDir, "out.blend");
  if (exit.code === 0 && status.ok === true && (await isFile(sceneFile))) {
    const kept = keptResult(status);
    return { sceneFile, ...outputData, ...kept, durationMs };
  }
  const reason = failureReason(exit, status, sandbox.memoryMiB, diagnostics.text());
  throw new ToolError("script_failed", `The script failed and the scene is unchanged: ${reason}${outputHint(printed.text)}`, {
    ...outputData,
    reason,
  });
}

/** Why the sandboxed Blender did not hand back a scene. */
function failureReason(
  exit: { code: number | null; signal: NodeJS.Signals | null },
  status: RunnerStatus,
  memoryMiB: number,
  diagnostics: string,
): string {
  if (typeof status.error === "string" && status.error !== "") {
    const memory = /MemoryError/.test(status.error) ? ` (the memory limit is ${memoryMiB} MiB)` : "";
    return `${status.error.slice(0, 2000)}${memory}`;
  }
  if (exit.signal === "SIGXCPU" || exit.signal === "SIGKILL")
    return `the sandboxed Blender was killed by ${exit.signal} (its CPU time or memory ran out; the memory limit is ${memoryMiB} MiB).`;
  if (exit.signal) return `the sandboxed Blender was killed by ${exit.signal} (the memory limit is ${memoryMiB} MiB).`;
  const last = diagnostics.trim().split("\n").slice(-3).join(" | ");
  return `the sandboxed Blender exited with code ${exit.code} without saving the scene${last ? `: ${last.slice(0, 500)}` : ""}.`;
}

/** The end of the output, for the message a model reads (the whole of it is in the error's data). */
function outputHint(text: string): string {
  if (text.trim() === "") return "";
  const tail = text.length > 2000 ? `…${text.slice(-2000)}` : text;
  return `\nOutput:\n${tail}`;
}

function keptResult(status: RunnerStatus): { result?: unknown; resultError?: string } {
  if (typeof status.resultError === "string") return { resultError: status.resultError.slice(0, 500) };
  if (!("result" in status)) return {};
  const text = JSON.stringify(status.result);
  if (text === undefined) return {};
  if (text.length > SCRIPT_LIMITS.maxResultChars)
    return { resultError: `result is ${text.length} characters of JSON; at most ${SCRIPT_LIMITS.maxResultChars} are returned.` };
  return { result: status.result };
}

async function readStatus(path: string): Promise<RunnerStatus> {
  try {
    const text = await readFile(path, "utf8");
    if (text.length > SCRIPT_LIMITS.maxResultChars * 4) return { error: "the script's status file is too large" };
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === "object" ? (parsed as RunnerStatus) : {};
  } catch {
    return {};
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Keeps what the code printed: the bytes after the first marker line, up to `limit`, and counts
 * the rest until the closing marker. Blender's own lines before the first marker are dropped.
 */
export function createOutputCollector(marker: string, limit: number, events: { onOpened?: () => void; onClosed?: () => void } = {}) {
  const opening = Buffer.from(`${marker}\n`);
  const closing = Buffer.from(`\n${marker}\n`);
  let preamble = Buffer.alloc(0);
  let started = false;
  // The kept head, plus as many bytes again as the closing marker, so it can be found there.
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let total = 0;
  // The last bytes seen, to find a closing marker that spans chunks past the kept head.
  let recent = Buffer.alloc(0);
  let closedAt: number | undefined;
  const room = limit + closing.length;

  function take(chunk: Buffer) {
    if (closedAt !== undefined) return;
    const window = Buffer.concat([recent, chunk]);
    const found = window.indexOf(closing);
    if (found !== -1) {
      closedAt = total - recent.length + found;
      events.onClosed?.();
      chunk = chunk.subarray(0, Math.max(0, found - recent.length));
    }
    total += chunk.length;
    if (keptBytes < room) {
      const part = chunk.subarray(0, room - keptBytes);
      kept.push(part);
      keptBytes += part.length;
    }
    recent = window.subarray(Math.max(0, window.length - closing.length));
  }

  return {
    push(chunk: Buffer) {
      if (started) return take(chunk);
      preamble = Buffer.concat([preamble, chunk]);
      const at = preamble.indexOf(opening);
      if (at !== -1) {
        started = true;
        events.onOpened?.();
        const rest = preamble.subarray(at + opening.length);
        preamble = Buffer.alloc(0);
        take(rest);
      } else if (preamble.length > 1024 * 1024) {
        // No marker in a megabyte: Blender never reached the code. Keep its last words.
        preamble = preamble.subarray(preamble.length - 64 * 1024);
      }
    },
    finish(): { text: string; truncated: boolean; bytes: number } {
      if (!started) {
        // The code never ran (the scene did not open): what Blender said is all there is.
        const text = preamble.subarray(Math.max(0, preamble.length - limit)).toString("utf8");
        return { text, truncated: preamble.length > limit, bytes: 0 };
      }
      const bytes = closedAt ?? total;
      const head = Buffer.concat(kept).subarray(0, Math.min(limit, bytes));
      return { text: head.toString("utf8"), truncated: bytes > limit, bytes };
    },
  };
}

/** The last `limit` bytes of a stream, for diagnostics. */
function createTail(limit: number) {
  let tail = Buffer.alloc(0);
  return {
    push(chunk: Buffer) {
      tail = Buffer.concat([tail, chunk]);
      if (tail.length > limit) tail = tail.subarray(tail.length - limit);
    },
    text: () => tail.toString("utf8"),
  };
}
