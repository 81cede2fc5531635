// The Runtime port: where a project's worker runs. Its consumers (the HTTP front of `bod serve`,
// later the gateway) need only these four verbs; the local activator implements it over local
// processes, and a Knative backend would implement it over a Service per project.
import type { InstanceState } from "./instance-state.ts";

/** How to reach a worker: a loopback TCP port, or a Unix socket (sandboxed workers). */
export type WorkerEndpoint = { host: string; port: number } | { socketPath: string };

/** What the worker's own clock measured during its cold start, plus the runtime's share. */
export interface ColdStartPhases {
  /** Waiting for a free instance slot. */
  queueMs: number;
  /** Launch to the worker's HTTP server listening (0 when a pool worker was taken). */
  spawnMs: number;
  /** Blender process start to its bridge answering (0 when a pool worker was taken). */
  blenderReadyMs: number;
  /** Loading the project's snapshot and replaying its journal. */
  sceneRestoreMs: number;
  /** Request for a worker to ready to serve, as the runtime saw it. */
  totalMs: number;
  /** Whether a warm pool worker served this start. */
  fromPool: boolean;
}

/** One request's hold on an instance; the instance counts it in flight until `release`. */
export interface RouteLease {
  projectId: string;
  endpoint: WorkerEndpoint;
  /** True when this request had to wait for the instance to start. */
  coldStart: boolean;
  /** Idempotent. */
  release(): void;
  /**
   * The worker did not take the request: "unreachable" (connection refused: it is gone, stop it)
   * or "not-admitting" (it answered 503 because it is draining on its own: let it finish).
   * Either way the next route waits for a new worker.
   */
  reportUnavailable(how: "unreachable" | "not-admitting"): void;
  /**
   * Resolves once the worker process this lease routed to has exited (it crashed, was killed, or
   * drained). Before sending a request that may have reached that worker to the next one, the
   * proxy waits for this, so the first attempt cannot still be running. Absent where the runtime
   * cannot tell (a remote service): such requests are then sent again only when they are reads.
   */
  exited?(): Promise<void>;
}

export interface RouteOptions {
  /**
   * "call": counts as in flight and holds off the idle drain (default).
   * "stream": a long-lived GET event stream; quiet streams do not keep a worker alive.
   */
  kind?: "call" | "stream";
  signal?: AbortSignal;
}

export interface InstanceInfo {
  projectId: string;
  state: InstanceState;
  /** ISO time of the last state change. */
  since: string;
  /** ISO time a request last started or ended. */
  lastActivity: string;
  inFlight: number;
  streams: number;
  /** Where the worker listens (loopback port or the sandbox's Unix socket); for diagnostics and benchmarks. */
  endpoint: WorkerEndpoint | undefined;
  /** Root process of the instance's tree (the sandbox or the worker). */
  pid: number | undefined;
  blenderPid: number | undefined;
  /** Resident memory of the whole process tree, bytes. */
  rssBytes: number | undefined;
  coldStart: ColdStartPhases | undefined;
  /** Why the last instance stopped, or why it failed to start. */
  lastExit: string | undefined;
  startsTotal: number;
}

export interface Runtime {
  /** Makes sure a worker for the project is ready (starting one if needed) and says where it is. */
  start(projectId: string, options?: { signal?: AbortSignal }): Promise<WorkerEndpoint>;
  /** Admits one request for the project, holding it while the worker starts or a drain finishes. */
  route(projectId: string, options?: RouteOptions): Promise<RouteLease>;
  /** Drains the project's worker (finish in-flight calls, save the scene, stop); resolves once it is stopped. */
  drain(projectId: string): Promise<void>;
  list(): Promise<InstanceInfo[]>;
}
