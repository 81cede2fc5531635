// Messages between a worker process and the runtime that launched it, over Node's IPC channel
// (spawn with stdio [..., "ipc"]). A worker started by hand has no channel and ignores all this.
//
// Life of a worker under the runtime:
//   spawn ─▶ "listening" ─▶ (Blender up, scene restored) "ready" ─▶ serves MCP ...
//   runtime sends "drain" ─▶ worker stops admitting, finishes in-flight calls, saves the scene ─▶ "drained", exits.
// A pool worker is spawned with `--defer-bind`: it starts Blender with an empty scene, says "ready"
// with `bound: false`, and waits for "bind" to load a project's scene from that data dir.

/** Milliseconds spent in each phase of a cold start, measured by the worker. */
export interface StartPhases {
  /** Process start to HTTP server listening. */
  listenMs: number;
  /** Blender spawn to its bridge saying ready. */
  blenderReadyMs: number;
  /** Loading the snapshot and replaying the journal (0 for a new scene or an unbound pool worker). */
  sceneRestoreMs: number;
}

export type WorkerToRuntime =
  | { type: "listening"; port: number; pid: number }
  | { type: "ready"; bound: boolean; phases: StartPhases; blenderPid: number | undefined }
  | { type: "bound"; dataDir: string; sceneRestoreMs: number }
  | { type: "bind-failed"; message: string }
  | { type: "drained"; savedMs: number };

/** `publicUrl` is where clients reach this worker (e.g. the runtime's /projects/{id}); artifact links use it. */
export type RuntimeToWorker = { type: "bind"; projectId: string; dataDir: string; publicUrl?: string } | { type: "drain" };
