// A worker: one headless Blender, the MCP server beside it, and the HTTP face that serves
// both. Wires the engine, the artifact store and the transports, and follows the runtime's
// control messages (bind, drain) when it has a runtime.
import { mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type ArtifactStore, createFilesystemArtifactStore, type SceneStore } from "@bod/storage";
import type { McpServer } from "@modelcontextprotocol/server";
import type { Logger } from "pino";
import { createSceneEngine, type SceneEngine } from "./blender/index.ts";
import type { StartPhases } from "./control-protocol.ts";
import type { SpawnFunction } from "./early-blender.ts";
import { LOOPBACK_HOSTNAMES } from "./http/request-guard.ts";
import { createWorkerHttp, type WorkerHttp } from "./http/worker-http.ts";
import { createSceneServer, createSceneServerPool } from "./mcp/create-scene-server.ts";
import type { SceneToolDependencies } from "./mcp/scene-tools.ts";
import type { ResolvedScriptSandbox } from "./script/script-sandbox.ts";

export interface WorkerOptions {
  /** The project's data folder (scene snapshot, journal, artifacts). Omit with `deferBind`. */
  dataDir?: string;
  /**
   * The project this worker serves: the key of its scene and artifacts in shared stores. Default
   * "local" for a worker started by hand on a folder of its own.
   */
  projectId?: string;
  /** Start Blender on an empty scene and wait for `bind` (warm pool). */
  deferBind?: boolean;
  /**
   * Where the project's scene is kept (snapshot, journal of acknowledged changes), by project id:
   * PostgreSQL + S3 when any machine may restore it. Default: files in the data dir's `scene` folder.
   */
  sceneStore?: SceneStore;
  /** Told when the project is deleted by another process (shared stores); the worker should then drain and end. */
  onProjectDeleted?: () => void;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /**
   * Listen on this Unix socket instead of TCP: how the runtime reaches a worker sandboxed
   * without a network. Artifact links then need `publicUrl`.
   */
  socketPath?: string;
  /** Where clients reach this worker; artifact URLs start with it. Default http://host:port. */
  publicUrl?: string;
  /** Serve HTTP (default). Off for stdio, where artifact links are file:// URLs instead. */
  serveHttp?: boolean;
  /**
   * Where renders, exports and uploads are kept, by project and id (an S3 store when artifacts
   * are shared between processes). Default: files in the data dir's `artifacts` folder.
   */
  artifactStore?: ArtifactStore;
  /** Host names the worker answers to besides loopback (DNS-rebinding protection). */
  allowedHostnames?: string[];
  blenderPath?: string;
  /**
   * The sandbox run_script's code runs in (`openScriptSandbox`): given only when the operator
   * allows scripts and the worker is itself isolated. Without it the tool is not offered.
   */
  scriptSandbox?: ResolvedScriptSandbox;
  /** How Blender is launched; `takeEarlyBlender(path).spawn` hands over a Blender already booting. */
  spawn?: SpawnFunction;
  logger: Logger;
}

/** What a pool worker learns when it is given a project. */
export interface WorkerBinding {
  projectId: string;
  /** The project's folder as this worker sees it. */
  dataDir: string;
  /** Where clients reach this worker from now on (artifact links). */
  publicUrl?: string;
}

export type WorkerState = "starting" | "ready" | "draining" | "stopped";

export interface Worker {
  readonly port: number;
  readonly state: WorkerState;
  readonly phases: StartPhases;
  readonly blenderPid: number | undefined;
  /** Binds an unbound (pool) worker to a project (and its data folder) and restores its scene. */
  bind(binding: WorkerBinding): Promise<{ sceneRestoreMs: number }>;
  /** Stops admitting, waits for in-flight requests, saves the scene and ends Blender. */
  drain(): Promise<{ savedMs: number }>;
  /** Builds an MCP server over this worker's engine (used by stdio). */
  createMcpServer(): McpServer;
}

export async function startWorker(options: WorkerOptions): Promise<Worker & { http: WorkerHttp }> {
  const startedAt = performance.now();
  const { logger } = options;
  let state: WorkerState = "starting";
  let bound = !options.deferBind;
  let inFlight = 0;
  const idleWaiters: (() => void)[] = [];
  let dataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  let projectId = options.projectId ?? (options.deferBind ? undefined : "local");
  if (!dataDir && !options.deferBind) throw new Error("A worker needs --data-dir (or --defer-bind for a pool worker).");

  const serveHttp = options.serveHttp !== false;
  let publicUrl = options.publicUrl;
  const scratchRoot = dataDir ?? (await mkdtemp(join(tmpdir(), "bod-worker-")));
  // Under stdio an artifact is a local file, or (in a shared store) the artifact:// resource.
  const urlFor = (id: string) =>
    serveHttp
      ? `${publicUrl}/artifacts/${id}`
      : options.artifactStore
        ? `artifact://${id}`
        : pathToFileURL(join(dataDir ?? scratchRoot, "artifacts", id)).href;
  // The data dir is asked at every call: a pool worker's changes when it is bound.
  const store = options.artifactStore ?? createFilesystemArtifactStore({ directoryOf: () => join(dataDir ?? scratchRoot, "artifacts") });

  const engine: SceneEngine = createSceneEngine({
    ...(dataDir ? { dataDir, projectId } : {}),
    ...(options.sceneStore ? { sceneStore: options.sceneStore } : {}),
    ...(options.onProjectDeleted ? { onProjectDeleted: options.onProjectDeleted } : {}),
    ...(options.blenderPath ? { blenderPath: options.blenderPath } : {}),
    ...(options.spawn ? { spawn: options.spawn } : {}),
    logger: logger.child({ component: "blender" }),
  });

  // Servers outlive a bind, so they read the store and folders as they are at each call.
  const toolDependencies: SceneToolDependencies = {
    engine,
    store,
    get projectId() {
      // Only the warm-up runs before a pool worker is bound, and it stores nothing.
      return projectId ?? "unbound";
    },
    artifactUrl: urlFor,
    get scratchDirectory() {
      return join(dataDir ?? scratchRoot, "tmp");
    },
    ...(options.scriptSandbox ? { scriptSandbox: options.scriptSandbox } : {}),
    onCallEnd: (tool, outcome, durationMs) => logger.info({ tool, outcome, durationMs: Math.round(durationMs) }, "tool call"),
  };
  const createMcpServer = () => createSceneServer(toolDependencies);

  const http = createWorkerHttp({
    createServer: createSceneServerPool(toolDependencies),
    artifacts: () => (bound && projectId ? { store, projectId } : undefined),
    health: () => ({ ready: state === "ready", state, bound, blenderPid: engine.blenderPid, blenderVersion: engine.blenderVersion }),
    admitting: () => state === "ready",
    allowedHostnames: [...LOOPBACK_HOSTNAMES, ...(options.allowedHostnames ?? [])],
    logger,
    onRequestStart: () => {
      inFlight += 1;
    },
    onRequestEnd: () => {
      inFlight -= 1;
      if (inFlight === 0) for (const wake of idleWaiters.splice(0)) wake();
    },
  });
  const port = serveHttp
    ? await http.listen(options.socketPath ? { socketPath: options.socketPath } : { port: options.port, host: options.host })
    : 0;
  publicUrl ??= `http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${port}`;
  const listenMs = performance.now() - startedAt;

  const [{ blenderReadyMs, sceneRestoreMs }] = await Promise.all([
    engine.start(),
    serveHttp ? http.warmUp().catch((error) => logger.warn({ err: error }, "MCP warm-up failed")) : undefined,
  ]);
  const phases: StartPhases = { listenMs, blenderReadyMs, sceneRestoreMs };
  state = "ready";
  logger.info({ port, phases: roundPhases(phases), bound }, "worker ready");

  const worker = {
    http,
    port,
    phases,
    get state() {
      return state;
    },
    get blenderPid() {
      return engine.blenderPid;
    },
    async bind(binding: WorkerBinding) {
      if (bound) throw new Error("This worker is already bound to a project; pool workers are never reused.");
      if (!engine.bind) throw new Error("This engine cannot bind late.");
      projectId = binding.projectId;
      dataDir = resolve(binding.dataDir);
      await mkdir(dataDir, { recursive: true });
      if (binding.publicUrl) publicUrl = binding.publicUrl;
      const result = await engine.bind({ projectId: binding.projectId, dataDir });
      bound = true;
      phases.sceneRestoreMs = result.sceneRestoreMs;
      logger.info({ projectId, dataDir, sceneRestoreMs: Math.round(result.sceneRestoreMs) }, "worker bound");
      return result;
    },
    async drain() {
      const drainStartedAt = performance.now();
      if (state === "stopped") return { savedMs: 0 };
      state = "draining";
      if (inFlight > 0) await new Promise<void>((wake) => idleWaiters.push(wake));
      await engine.stop();
      if (serveHttp) await http.close();
      state = "stopped";
      const savedMs = performance.now() - drainStartedAt;
      logger.info({ savedMs: Math.round(savedMs) }, "worker drained");
      return { savedMs };
    },
    createMcpServer,
  };
  return worker;
}

function roundPhases(phases: StartPhases): StartPhases {
  return {
    listenMs: Math.round(phases.listenMs),
    blenderReadyMs: Math.round(phases.blenderReadyMs),
    sceneRestoreMs: Math.round(phases.sceneRestoreMs),
  };
}
