// The WorkerLauncher port: how the activator gets a worker process. The process launcher spawns
// `bod worker` (optionally inside bubblewrap); unit tests pass a scripted double.
import type { RuntimeToWorker, WorkerToRuntime } from "@bod/worker";
import type { WorkerEndpoint } from "./runtime.ts";

export type { RuntimeToWorker, WorkerToRuntime };

export interface LaunchOptions {
  /** Folder on this machine the worker owns for its life (its sandbox's only writable mount). */
  instanceDir: string;
  /**
   * Data dir as the worker sees it: the project's folder for a direct start, or a scratch folder
   * for a pool worker (spawned with `--defer-bind`, bound later with `bindPath`).
   */
  deferBind: boolean;
  /** Where artifact links should point (the runtime's /projects/{id}); omitted for pool workers. */
  publicUrl?: string;
  /** The project the worker serves; omitted for pool workers, which learn it from `bind`. */
  projectId?: string;
}

export interface LaunchedWorker {
  /** OS process id of the root of the worker's process tree, as this machine sees it. */
  readonly pid: number | undefined;
  /** Set once the worker said `listening`. */
  endpoint(): WorkerEndpoint | undefined;
  /** The project's data dir as the worker must be told in `bind`. */
  readonly bindPath: string;
  send(message: RuntimeToWorker): void;
  onMessage(listener: (message: WorkerToRuntime) => void): void;
  /** Called once when the process tree is gone; `reason` reads like "exit code 1" or "signal SIGKILL". */
  onExit(listener: (reason: string) => void): void;
  /** Signals the whole process tree. */
  kill(signal: NodeJS.Signals): void;
  /** Last lines the worker wrote to stderr, for start failure messages. */
  stderrTail(): string;
}

export interface WorkerLauncher {
  launch(options: LaunchOptions): LaunchedWorker;
  /** Extra environment facts for /api/instances and docs: "bubblewrap" or "none". */
  readonly isolation: string;
}
