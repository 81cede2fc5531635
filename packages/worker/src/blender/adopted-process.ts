// A Blender that `bod serve` started a moment before the worker's Node (see early-blender.ts:
// `blenderFirstCommand`), handed to the engine as the ChildProcess it would have spawned itself.
//
// The launcher runs Blender in the background and then execs the worker, so Blender is this
// process's child, but not one Node spawned: its pipes are FIFOs (`<channel>-stdout` and so on),
// its exit is read from /proc (it stays a zombie there, since Node reaps only children it
// spawned, until the worker exits), and signals go to its pid. The bridge opens the requests and
// responses FIFOs itself once Python runs (BOD_BRIDGE_CHANNEL), so Blender never waits on the
// worker to boot.
import type { ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { constants, openSync, readFileSync } from "node:fs";
import { Socket } from "node:net";
import { constants as osConstants } from "node:os";
import type { BRIDGE_CHANNEL_FIFOS } from "./bridge-channel.ts";

/** How often the process's state is read while no pipe has said it ended. */
const EXIT_POLL_MS = 250;
/** After exit, how long the logs may take to drain before the process counts as closed. */
const CLOSE_GRACE_MS = 1000;

interface ProcStat {
  /** R, S, D, Z (exited, not yet reaped), X (dead)... */
  state: string;
  /** The wait status once exited (field 52 of /proc/<pid>/stat). */
  waitStatus: number;
}

function readProcStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (in parentheses) may hold spaces: fields are counted after it.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] ?? "", waitStatus: Number(fields[49] ?? 0) };
  } catch {
    return undefined;
  }
}

function decodeWaitStatus(status: number): { code: number | null; signal: NodeJS.Signals | null } {
  const signalNumber = status & 0x7f;
  if (signalNumber === 0) return { code: (status >> 8) & 0xff, signal: null };
  const name = Object.entries(osConstants.signals).find(([, number]) => number === signalNumber)?.[0];
  return { code: null, signal: (name as NodeJS.Signals | undefined) ?? null };
}

/**
 * Takes over the running process `pid` whose Blender writes its logs into the FIFOs
 * `<channel>-stdout` and `<channel>-stderr` and whose bridge serves `<channel>-requests` and
 * `<channel>-responses`. Throws when the channel cannot be opened.
 */
export function adoptProcess(pid: number, channel: string): ChildProcess {
  const fifo = (name: (typeof BRIDGE_CHANNEL_FIFOS)[number], flags: number, direction: "read" | "write") =>
    new Socket({ fd: openSync(`${channel}-${name}`, flags), readable: direction === "read", writable: direction === "write" });
  // Logs are opened read-only, so they end when Blender (their only writer) is gone. Without
  // O_NONBLOCK the open would wait for a writer, and there is one already: the launcher opened them
  // for Blender before starting it. The bridge's FIFOs are opened for reading and writing, which
  // never waits, so that the bridge finds its peer whenever it opens them.
  const stdout = fifo("stdout", constants.O_RDONLY | constants.O_NONBLOCK, "read");
  const stderr = fifo("stderr", constants.O_RDONLY | constants.O_NONBLOCK, "read");
  const requests = fifo("requests", constants.O_RDWR, "write");
  const responses = fifo("responses", constants.O_RDWR, "read");

  const child = new EventEmitter() as EventEmitter & {
    pid: number;
    stdin: null;
    stdout: Socket;
    stderr: Socket;
    stdio: [null, Socket, Socket, Socket, Socket];
    exitCode: number | null;
    signalCode: NodeJS.Signals | null;
    killed: boolean;
    kill(signal?: NodeJS.Signals | number): boolean;
  };
  Object.assign(child, {
    pid,
    stdin: null,
    stdout,
    stderr,
    stdio: [null, stdout, stderr, requests, responses],
    exitCode: null,
    signalCode: null,
    killed: false,
  });

  let exited = false;
  let logsOpen = 2;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    requests.destroy();
    responses.destroy();
    stdout.destroy();
    stderr.destroy();
    child.emit("close", child.exitCode, child.signalCode);
  };
  const checkExit = () => {
    if (exited) return;
    const stat = readProcStat(pid);
    if (stat && stat.state !== "Z" && stat.state !== "X") return;
    exited = true;
    clearInterval(poll);
    const { code, signal } = stat ? decodeWaitStatus(stat.waitStatus) : { code: null, signal: null };
    child.exitCode = code;
    child.signalCode = signal;
    child.emit("exit", code, signal);
    if (logsOpen === 0) close();
    else setTimeout(close, CLOSE_GRACE_MS).unref();
  };
  for (const log of [stdout, stderr]) {
    log.once("end", () => {
      logsOpen -= 1;
      checkExit();
      if (exited && logsOpen === 0) close();
    });
  }
  // The logs ending says at once that Blender is gone; the poll is for an exit they cannot show
  // (a process that closed its own output). The launcher opens the logs for Blender within a
  // millisecond of starting the worker, long before Node gets here, so they never end early.
  const poll = setInterval(checkExit, EXIT_POLL_MS);
  poll.unref();

  child.kill = (signal: NodeJS.Signals | number = "SIGTERM") => {
    if (exited) return false;
    try {
      process.kill(pid, signal);
      child.killed = true;
      return true;
    } catch {
      return false;
    }
  };
  return child as unknown as ChildProcess;
}
