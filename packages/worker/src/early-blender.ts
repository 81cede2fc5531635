// Starts Blender before the worker has loaded its modules. Blender takes about a second to boot
// and Node needs a good part of that to import the MCP server, so the two overlap instead of
// queueing. Two ways, both handing the engine a Blender already booting:
// - `bod worker` on its own spawns Blender first thing (`bootBlenderForWorkerCommand`);
// - `bod serve` starts workers with `blenderFirstCommand`: a shell starts Blender even before
//   Node (whose own boot takes about 100 ms here), then becomes the worker, which adopts it.
// This module must stay light: `bod` imports it before anything else, the command-line parser
// included, when the command is `bod worker`.
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { BRIDGE_CHANNEL_FIFOS } from "./blender/bridge-channel.ts";

export const BRIDGE_SCRIPT = fileURLToPath(new URL("../python/bridge.py", import.meta.url));

/** The arguments the engine launches a Blender executable with (checked against it by a unit test). */
export function blenderLaunchArgs(script: string = BRIDGE_SCRIPT): string[] {
  return ["-b", "--factory-startup", "--disable-autoexec", "--python-exit-code", "1", "--python", script];
}

/**
 * Whether `blenderPath` names a Python interpreter (one with the `bpy` module, as the official
 * bpy wheels install it) rather than a Blender executable: its file name is python, python3,
 * python3.11 and so on. Told by the name alone, so the launch spends no time finding out.
 */
export function isPythonInterpreter(blenderPath: string): boolean {
  const name = blenderPath.slice(blenderPath.lastIndexOf("/") + 1);
  return /^python\d*(\.\d+)*$/.test(name);
}

/**
 * The arguments `blenderPath` runs the bridge with: Blender's own flags for a Blender executable;
 * for a Python interpreter, isolated mode (-I: no PYTHON* variables, no user site-packages) and
 * the script, which imports bpy and starts from the factory settings itself.
 */
export function bridgeLaunchArgs(blenderPath: string, script: string = BRIDGE_SCRIPT): string[] {
  return isPythonInterpreter(blenderPath) ? ["-I", script] : blenderLaunchArgs(script);
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
  const child = spawn(blenderPath, bridgeLaunchArgs(blenderPath), {
    stdio: ["ignore", "pipe", "pipe", "pipe", "pipe"],
    env,
    detached: true,
  });
  // An early spawn error (no such executable) resurfaces when the engine spawns for real.
  child.on("error", () => {});
  return handOver(blenderPath, child);
}

let bootedForCommand: { blenderPath: string; early: EarlyBlender } | undefined;

/** Hands over a Blender that was started for us: once, and only for the launch it was started as. */
function handOver(blenderPath: string, child: ChildProcess): EarlyBlender {
  const args = bridgeLaunchArgs(blenderPath);
  let early: ChildProcess | undefined = child;
  return {
    spawn(command, launchArgs, options) {
      const taken = early;
      early = undefined;
      if (taken && taken.exitCode === null && command === blenderPath && launchArgs.join("\0") === args.join("\0")) return taken;
      taken?.kill("SIGKILL");
      return spawn(command, launchArgs, options);
    },
    discard() {
      early?.kill("SIGKILL");
      early = undefined;
    },
  };
}

/** The flags `blenderFirstCommand` adds to the worker's command line. */
const ADOPT_FLAG = "--adopt-blender";
const CHANNEL_FLAG = "--bridge-channel";

/**
 * A command line that starts Blender (with the bridge, as the engine would launch it) and then
 * runs `workerCommand` (`bod worker ...`) in the same process, which adopts that Blender. A
 * POSIX shell starts in a millisecond where Node takes about a hundred, so Blender's boot, the
 * long pole of a cold start, begins that much sooner. The channel's FIFOs live in $TMPDIR, which
 * must be private to the worker (the runtime gives each its own): `<channel>-requests` and so on.
 */
export function blenderFirstCommand(blenderPath: string, workerCommand: readonly string[]): string[] {
  const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
  const script = [
    "set -e",
    // One name per launch ($$ is unique among live processes); one mkfifo (each command costs a
    // few milliseconds of Blender's head start).
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion
    'channel="${TMPDIR:-/tmp}/bod-blender-$$"',
    `mkfifo -m 600 ${BRIDGE_CHANNEL_FIFOS.map((name) => `"$channel-${name}"`).join(" ")}`,
    // setsid: Blender's own session, as the engine spawns it (a signal for the worker's group must
    // not stop Blender before the scene is saved). Logs go to FIFOs opened read-write, which never
    // waits for the worker to open the other end.
    `BOD_BRIDGE_CHANNEL="$channel" setsid ${[blenderPath, ...bridgeLaunchArgs(blenderPath)].map(quote).join(" ")} </dev/null 1<>"$channel-stdout" 2<>"$channel-stderr" &`,
    `exec "$@" ${ADOPT_FLAG} "$!" ${CHANNEL_FLAG} "$channel"`,
  ].join("\n");
  return ["/bin/sh", "-c", script, "bod-blender-first", ...workerCommand];
}

/** `--adopt-blender <pid> --bridge-channel <path prefix>` from a raw command line, when both are there. */
export function adoptionFromFlags(flags: readonly string[]): { pid: number; channel: string } | undefined {
  const pid = Number(flagValue(flags, ADOPT_FLAG));
  const channel = flagValue(flags, CHANNEL_FLAG);
  return Number.isSafeInteger(pid) && pid > 0 && channel ? { pid, channel } : undefined;
}

/**
 * Called by `bod` first thing for `bod worker [flags]`: boots Blender from the raw flags, before
 * the command-line parser and the worker's modules load, or adopts the one the launcher started
 * (`blenderFirstCommand`). `takeEarlyBlender` hands it over. (The adoption code loads only when
 * needed: every module loaded before the spawn delays Blender.)
 */
export async function bootBlenderForWorkerCommand(flags: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (flags.includes("--help") || flags.includes("-h")) return;
  const blenderPath = blenderPathFromFlags(flags) ?? env.BLENDER_PATH ?? "blender";
  const adoption = adoptionFromFlags(flags);
  if (!adoption) {
    bootedForCommand = { blenderPath, early: startBlenderEarly(blenderPath, env) };
    return;
  }
  const { adoptProcess } = await import("./blender/adopted-process.ts");
  bootedForCommand = { blenderPath, early: handOver(blenderPath, adoptProcess(adoption.pid, adoption.channel)) };
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
  return flagValue(flags, "--blender");
}

/** The value of option `name` in a raw command line, `name value` or `name=value`, as commander reads it. */
function flagValue(flags: readonly string[], name: string): string | undefined {
  for (let index = 0; index < flags.length; index++) {
    const flag = flags[index];
    if (flag === "--") return undefined;
    if (flag === name) return flags[index + 1];
    if (flag?.startsWith(`${name}=`)) return flag.slice(name.length + 1);
  }
  return undefined;
}
