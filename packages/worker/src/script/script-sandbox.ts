// The nested sandbox a run_script call's Blender runs in: bubblewrap inside whatever isolates the
// worker, with limits set by prlimit. Inside there is no network (a network namespace of its own:
// only a loopback that nothing outside listens on), no environment but a few fixed variables, no
// /proc, and no files but the system's programs and libraries (read-only), Blender's installation,
// the runner, and one fresh scratch folder at /scratch, the only place it can write. It cannot
// start processes (seccomp-filter.ts), and dies with the worker.
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, lstatSync, mkdtempSync, openSync, readlinkSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isPythonInterpreter } from "../early-blender.ts";
import { noNewProcessesFilter } from "./seccomp-filter.ts";

/** Where the scratch folder appears inside the sandbox (its working directory and HOME). */
export const SCRIPT_SCRATCH = "/scratch";
/** Where the runner appears inside the sandbox. */
export const SCRIPT_RUNNER = "/bod/script_runner.py";
/** The runner on this machine. */
export const DEFAULT_RUNNER_PATH = fileURLToPath(new URL("../../python/script_runner.py", import.meta.url));

export interface ScriptSandboxSettings {
  /** The bwrap executable. Default the first of /usr/bin/bwrap and /usr/local/bin/bwrap that exists. */
  bwrapPath?: string;
  /** The prlimit executable (util-linux). Default /usr/bin/prlimit. */
  prlimitPath?: string;
  /** Blender: an executable, or a Python interpreter that can `import bpy`. Default "blender" on PATH. */
  blenderPath?: string;
  /** The runner script. Default this package's python/script_runner.py. */
  runnerPath?: string;
  /** Address-space limit of the sandboxed Blender (RLIMIT_AS), in MiB. Default 2048: an idle Blender maps about 800. */
  memoryMiB?: number;
  /** Largest file the script may write (RLIMIT_FSIZE), in MiB. Default 2048. */
  maxFileMiB?: number;
}

/** The settings with their defaults filled in and paths resolved. */
export interface ResolvedScriptSandbox {
  bwrapPath: string;
  prlimitPath: string;
  blenderPath: string;
  runnerPath: string;
  memoryMiB: number;
  maxFileMiB: number;
}

/** Fills in defaults; throws when bwrap, prlimit or Blender cannot be found. */
export function resolveScriptSandbox(settings: ScriptSandboxSettings = {}): ResolvedScriptSandbox {
  const bwrapPath = settings.bwrapPath ?? ["/usr/bin/bwrap", "/usr/local/bin/bwrap"].find((path) => existsSync(path));
  if (!bwrapPath) throw new Error("bubblewrap (bwrap) is not installed; scripts need it for their sandbox.");
  const prlimitPath = settings.prlimitPath ?? ["/usr/bin/prlimit", "/bin/prlimit"].find((path) => existsSync(path));
  if (!prlimitPath) throw new Error("prlimit (util-linux) is not installed; scripts need it for their limits.");
  const blenderPath = findExecutable(settings.blenderPath ?? "blender");
  if (!blenderPath) throw new Error(`Blender was not found at "${settings.blenderPath ?? "blender"}".`);
  return {
    bwrapPath,
    prlimitPath,
    blenderPath,
    runnerPath: settings.runnerPath ?? DEFAULT_RUNNER_PATH,
    memoryMiB: settings.memoryMiB ?? 2048,
    maxFileMiB: settings.maxFileMiB ?? 2048,
  };
}

/**
 * The command line that runs `command` (paths as the sandbox sees them) in the sandbox with
 * `scratchDir` as /scratch, at most `cpuSeconds` of CPU time. The seccomp filter is read from file
 * descriptor `seccompFd` of the spawned process (see `writeSeccompFilter`).
 */
export function scriptSandboxCommand(
  sandbox: ResolvedScriptSandbox,
  scratchDir: string,
  command: readonly string[],
  options: { cpuSeconds: number; seccompFd: number },
): string[] {
  const mib = 1024 * 1024;
  return [
    sandbox.prlimitPath,
    `--as=${sandbox.memoryMiB * mib}`,
    // SIGXCPU at the soft limit, SIGKILL at the hard one.
    `--cpu=${options.cpuSeconds}:${options.cpuSeconds + 3}`,
    `--fsize=${sandbox.maxFileMiB * mib}`,
    "--core=0",
    "--nofile=1024",
    "--",
    sandbox.bwrapPath,
    ...systemMounts(),
    ...installationMounts(sandbox.blenderPath),
    "--ro-bind",
    sandbox.runnerPath,
    SCRIPT_RUNNER,
    "--dev",
    "/dev",
    "--bind",
    scratchDir,
    SCRIPT_SCRATCH,
    "--unshare-all",
    "--unshare-user",
    "--disable-userns",
    "--die-with-parent",
    "--new-session",
    "--cap-drop",
    "ALL",
    "--clearenv",
    "--setenv",
    "HOME",
    SCRIPT_SCRATCH,
    "--setenv",
    "TMPDIR",
    join(SCRIPT_SCRATCH, "tmp"),
    "--setenv",
    "PATH",
    "/usr/bin:/bin",
    "--setenv",
    "LANG",
    "C.UTF-8",
    "--setenv",
    "PYTHONNOUSERSITE",
    "1",
    "--chdir",
    SCRIPT_SCRATCH,
    "--seccomp",
    String(options.seccompFd),
    // Last, once every mount is in place: nothing but /scratch stays writable.
    "--remount-ro",
    "/dev",
    "--remount-ro",
    "/",
    "--",
    ...command,
  ];
}

/** The command that runs the runner on `/scratch`: Blender in background mode, or Python with bpy. */
export function runnerCommand(blenderPath: string): string[] {
  if (isPythonInterpreter(blenderPath)) return [blenderPath, "-I", SCRIPT_RUNNER, "--", SCRIPT_SCRATCH];
  // --disable-autoexec: Python stored in the scene (drivers, text blocks) does not run here either.
  return [
    blenderPath,
    "-b",
    "--factory-startup",
    "--disable-autoexec",
    "--python-exit-code",
    "3",
    "--python",
    SCRIPT_RUNNER,
    "--",
    SCRIPT_SCRATCH,
  ];
}

/** Writes the seccomp filter to `path` and opens it for reading; the caller closes the descriptor. */
export function writeSeccompFilter(path: string): number {
  writeFileSync(path, noNewProcessesFilter(), { mode: 0o600 });
  return openSync(path, "r");
}

/**
 * Runs `true` in the sandbox, with the same mounts, filter and limits a script gets. Resolves to
 * undefined when it works, or to what failed (bwrap's own message) when it does not: no user
 * namespaces, a container that masks /proc or forbids mounts.
 */
export function probeScriptSandbox(sandbox: ResolvedScriptSandbox, scratchDir: string): string | undefined {
  const filterFile = join(scratchDir, "probe.bpf");
  const fd = writeSeccompFilter(filterFile);
  try {
    const truePath = ["/usr/bin/true", "/bin/true"].find((path) => existsSync(path)) ?? "/usr/bin/true";
    const [program, ...args] = scriptSandboxCommand(sandbox, scratchDir, [truePath], { cpuSeconds: 5, seccompFd: 3 });
    const probe = spawnSync(program as string, args, { stdio: ["ignore", "ignore", "pipe", fd], timeout: 10_000, env: {} });
    if (probe.error) return probe.error.message;
    if (probe.status !== 0) return probe.stderr.toString().trim() || `exit status ${probe.status}`;
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The read-only system folders Blender and Python need: /usr and the top-level links into it, the dynamic loader's files and fonts. */
function systemMounts(): string[] {
  const mounts = ["--ro-bind", "/usr", "/usr"];
  for (const name of ["bin", "sbin", "lib", "lib32", "lib64", "libx32"]) {
    const path = `/${name}`;
    const stat = lstatOrUndefined(path);
    if (!stat) continue;
    if (stat.isSymbolicLink()) mounts.push("--symlink", readlinkSync(path), path);
    else if (stat.isDirectory()) mounts.push("--ro-bind", path, path);
  }
  // Debian resolves BLAS and LAPACK through /etc/alternatives; nothing else of /etc is shown.
  for (const path of ["/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/fonts"]) {
    mounts.push("--ro-bind-try", path, path);
  }
  return mounts;
}

/**
 * Blender's own folder where it lies outside /usr: the folder of the executable (or, for a
 * `bin/` folder, the one above it: an official build's tree, a virtual environment with bpy), for
 * the path as given and as resolved through links.
 */
function installationMounts(blenderPath: string): string[] {
  const folders = new Set<string>();
  for (const path of [blenderPath, realpathOr(blenderPath)]) {
    const folder = dirname(path);
    const root = basename(folder) === "bin" ? dirname(folder) : folder;
    if (root === "/" || root === "/usr" || root.startsWith("/usr/")) continue;
    folders.add(root);
  }
  return [...folders].flatMap((folder) => ["--ro-bind", folder, folder]);
}

/** `name` as an absolute path: itself when absolute, else found on PATH. */
function findExecutable(name: string): string | undefined {
  if (isAbsolute(name)) return existsSync(name) ? name : undefined;
  for (const folder of (process.env.PATH ?? "/usr/bin:/bin").split(":")) {
    if (!folder) continue;
    const candidate = join(folder, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/**
 * The sandbox for scripts, checked: resolves the settings and runs the probe in a folder of its
 * own under `tmpDir`. Throws, saying what failed, where scripts cannot be sandboxed here.
 */
export function openScriptSandbox(settings: ScriptSandboxSettings, tmpDir: string): ResolvedScriptSandbox {
  const sandbox = resolveScriptSandbox(settings);
  const probeDir = mkdtempSync(join(tmpDir, "bod-script-probe-"));
  try {
    const failure = probeScriptSandbox(sandbox, probeDir);
    if (failure)
      throw new Error(
        `The script sandbox does not work here (${failure}): bubblewrap needs user namespaces and permission to mount a private /dev (in a container: no seccomp profile or AppArmor rule that forbids them).`,
      );
    return sandbox;
  } finally {
    rmSync(probeDir, { recursive: true, force: true });
  }
}
