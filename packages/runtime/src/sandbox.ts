// Bubblewrap sandboxes for workers. Inside: the whole system read-only, a private /tmp, the
// runtime's data dir hidden, and one writable folder, the worker's own instance folder, mounted at
// /tmp/bod (its project's files are at /tmp/bod/project; under the private /tmp because bwrap
// cannot create a mount point on the read-only root). PID, IPC, UTS, cgroup and network namespaces
// are private: the worker has no network at all except its own loopback, unless its stores are
// servers (PostgreSQL, S3), when it shares the host's network (`shareNetwork`). The runtime reaches it
// through the Unix socket the worker listens on (`bod worker --socket /tmp/bod/worker.sock`), which on
// this side is a file in the instance folder.
import { existsSync } from "node:fs";
import { join } from "node:path";

/** Where the instance folder appears inside the sandbox. */
export const SANDBOX_ROOT = "/tmp/bod";
export const SANDBOX_SOCKET = `${SANDBOX_ROOT}/worker.sock`;

export interface SandboxOptions {
  /** Path of the bwrap executable. */
  bwrapPath: string;
  /** Folders to hide behind an empty tmpfs (the runtime's data dir, home folders). */
  hide: readonly string[];
  /** Folders the worker may read even where they lie in a hidden one (the shared compile cache). */
  readOnly?: readonly string[];
  /**
   * Keep the host's network: needed when the worker's scene and artifact stores are servers
   * (PostgreSQL, S3) rather than its own folder. Default false: no network at all.
   */
  shareNetwork?: boolean;
}

/** Arguments for bwrap that run `command` sandboxed with `instanceDir` as its only writable folder. */
export function bwrapArguments(options: SandboxOptions, instanceDir: string, command: readonly string[], cwd: string): string[] {
  return [
    "--ro-bind",
    "/",
    "/",
    "--dev",
    "/dev",
    // Hardware rendering where the machine has a GPU; nothing otherwise.
    "--dev-bind-try",
    "/dev/dri",
    "/dev/dri",
    "--proc",
    "/proc",
    "--tmpfs",
    "/tmp",
    // A checkout under /tmp (the worker's code, its Node, the working directory) would vanish
    // behind the private /tmp: expose it again, read-only, before the hidden folders go on top.
    ...codeFoldersUnderTmp([cwd, ...command]).flatMap((path) => ["--ro-bind", path, path]),
    ...options.hide
      .filter((path) => !cwd.startsWith(path) && !command.some((part) => part.startsWith(path)))
      .flatMap((path) => ["--tmpfs", path]),
    ...(options.readOnly ?? []).flatMap((path) => ["--ro-bind", path, path]),
    "--bind",
    instanceDir,
    SANDBOX_ROOT,
    "--unshare-all",
    ...(options.shareNetwork ? ["--share-net"] : []),
    "--die-with-parent",
    "--new-session",
    "--setenv",
    "HOME",
    join(SANDBOX_ROOT, "home"),
    "--setenv",
    "TMPDIR",
    "/tmp",
    "--chdir",
    cwd,
    "--",
    ...command,
  ];
}

/** The top-level /tmp folders that hold any of `paths` (never the sandbox's own root). */
export function codeFoldersUnderTmp(paths: readonly string[]): string[] {
  const folders = paths
    .filter((path) => path.startsWith("/tmp/"))
    .map((path) => `/tmp/${path.slice("/tmp/".length).split("/")[0]}`)
    .filter((folder) => folder !== SANDBOX_ROOT && folder !== "/tmp/");
  return [...new Set(folders)];
}

/** Folders worth hiding that exist on this machine. */
export function defaultHiddenPaths(dataDir: string): string[] {
  return [dataDir, "/home", "/root", "/var/tmp", "/run/user"].filter((path) => existsSync(path));
}
