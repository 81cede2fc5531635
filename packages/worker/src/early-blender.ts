// Starts Blender before the worker has loaded its modules. Blender takes over a second to boot
// and Node needs most of that to import the MCP server, so the two overlap instead of queueing.
// This module must stay light: it is imported before anything else in `bod worker`.
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const BRIDGE_SCRIPT = fileURLToPath(new URL("../python/bridge.py", import.meta.url));

/** The arguments the engine launches Blender with (checked against it by a unit test). */
export function blenderLaunchArgs(script: string = BRIDGE_SCRIPT): string[] {
  return ["-b", "--factory-startup", "--disable-autoexec", "--python-exit-code", "1", "--python", script];
}

export type SpawnFunction = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

export interface EarlyBlender {
  /** A spawn function for the engine: hands over the early child once, then spawns normally. */
  spawn: SpawnFunction;
  /** Ends the early child if the engine never took it (e.g. start-up failed). */
  discard(): void;
}

/**
 * Spawns Blender with the bridge now. Its pipes buffer until the engine attaches listeners,
 * so nothing the bridge says is lost.
 */
export function startBlenderEarly(blenderPath: string, env: NodeJS.ProcessEnv = process.env): EarlyBlender {
  const args = blenderLaunchArgs();
  let early: ChildProcess | undefined = spawn(blenderPath, args, {
    stdio: ["ignore", "pipe", "pipe", "pipe", "pipe"],
    env,
    detached: true,
  });
  // An early spawn error (no such executable) resurfaces when the engine spawns for real.
  early.on("error", () => {});
  return {
    spawn(command, launchArgs, options) {
      const child = early;
      early = undefined;
      if (child && child.exitCode === null && command === blenderPath && launchArgs.join("\0") === args.join("\0")) return child;
      child?.kill("SIGKILL");
      return spawn(command, launchArgs, options);
    },
    discard() {
      early?.kill("SIGKILL");
      early = undefined;
    },
  };
}
