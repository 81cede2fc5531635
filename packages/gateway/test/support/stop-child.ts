// Stops a process a test started: SIGTERM first (bod drains and saves on it), SIGKILL after a grace.
import type { ChildProcess } from "node:child_process";

/** SIGTERM, then SIGKILL if `child` is still running after `graceMs`; resolves once it has exited. */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}
