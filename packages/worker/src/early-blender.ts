// Starts Blender before the worker has loaded its modules. Blender takes about a second to boot
// and Node needs a good part of that to import the MCP server, so the two overlap instead of
// queueing. This module must stay light: `bod` imports it before anything else, the command-line
// parser included, when the command is `bod worker`.
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

let bootedForCommand: { blenderPath: string; early: EarlyBlender } | undefined;

/**
 * Called by `bod` first thing for `bod worker [flags]`: boots Blender from the raw flags, before
 * the command-line parser and the worker's modules load. `takeEarlyBlender` hands it over.
 */
export function bootBlenderForWorkerCommand(flags: readonly string[], env: NodeJS.ProcessEnv = process.env): void {
  if (flags.includes("--help") || flags.includes("-h")) return;
  const blenderPath = blenderPathFromFlags(flags) ?? env.BLENDER_PATH ?? "blender";
  bootedForCommand = { blenderPath, early: startBlenderEarly(blenderPath, env) };
}

/** The Blender booted by `bootBlenderForWorkerCommand` if it was for this executable; else one started now. */
export function takeEarlyBlender(blenderPath: string, env: NodeJS.ProcessEnv = process.env): EarlyBlender {
  const booted = bootedForCommand;
  bootedForCommand = undefined;
  if (booted?.blenderPath === blenderPath) return booted.early;
  booted?.early.discard();
  return startBlenderEarly(blenderPath, env);
}

/** `--blender <path>` or `--blender=<path>`, as commander reads it. */
export function blenderPathFromFlags(flags: readonly string[]): string | undefined {
  for (let index = 0; index < flags.length; index++) {
    const flag = flags[index];
    if (flag === "--") return undefined;
    if (flag === "--blender") return flags[index + 1];
    if (flag?.startsWith("--blender=")) return flag.slice("--blender=".length);
  }
  return undefined;
}
