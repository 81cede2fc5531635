// Resident memory of a process, read from /proc (Linux).
import { readFile } from "node:fs/promises";

/** Resident set size in MiB, or undefined when the process is gone or /proc is unavailable. */
export async function residentMiB(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Proportional set size in MiB: resident memory with each shared page divided among the processes
 * that map it, so the sizes of a server's processes add up to what the server really takes.
 */
export async function proportionalMiB(pid: number): Promise<number | undefined> {
  try {
    const rollup = await readFile(`/proc/${pid}/smaps_rollup`, "utf8");
    const match = /^Pss:\s+(\d+)\s+kB/m.exec(rollup);
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
