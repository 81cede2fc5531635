// The local activator: the Runtime port over worker processes on this machine. One instance per
// project, started on its first request (held meanwhile, exactly one start however many requests
// race), drained after an idle period, restarted after a crash; a warm pool of unbound workers
// takes most of the cold start away; a breaker caps running workers and queues the rest.
import { totalmem } from "node:os";
import type { Logger } from "pino";
import { createBreaker } from "./breaker.ts";
import { type Clock, systemClock } from "./clock.ts";
import { abortable, createDeferred, type Deferred } from "./deferred.ts";
import { RuntimeClosedError } from "./errors/runtime-closed-error.ts";
import { RuntimeError } from "./errors/runtime-error.ts";
import { WorkerStartError } from "./errors/worker-start-error.ts";
import { assertTransition, INSTANCE_STATES, type InstanceState } from "./instance-state.ts";
import { createRuntimeMetrics, type RuntimeMetrics } from "./metrics.ts";
import { findInProcessTree, processTreeRss } from "./process-tree.ts";
import { createProjectFolders } from "./project-folders.ts";
import { assertProjectId } from "./project-id.ts";
import type { ColdStartPhases, InstanceInfo, RouteLease, RouteOptions, Runtime, WorkerEndpoint } from "./runtime.ts";
import type { LaunchedWorker, WorkerLauncher, WorkerToRuntime } from "./worker-launcher.ts";

/**
 * Resident memory of one idle worker on the reference machine (2 cores, Debian 12, Blender 3.4),
 * bytes: headless Blender with the bridge about 240 MiB, the worker's Node process about 120 MiB.
 */
export const IDLE_WORKER_BYTES = (240 + 120) * 1024 * 1024;

/** Workers that fit in 75% of this machine's memory, less the warm pool; at least 1. */
export function defaultMaxInstances(poolSize = 0, totalBytes = totalmem()): number {
  return Math.max(1, Math.floor((totalBytes * 0.75) / IDLE_WORKER_BYTES) - poolSize);
}

export interface LocalRuntimeOptions {
  /** Root of the runtime's files: `projects/<id>` (durable) and `instances/<iid>` (live workers). */
  dataDir: string;
  launcher: WorkerLauncher;
  /** Where a project's artifacts are reachable from outside, e.g. `http://host:port/projects/<id>`. */
  publicUrlFor?: (projectId: string) => string;
  /** Drain a worker after this long with nothing in flight. Default 60 000 ms. */
  idleTimeoutMs?: number;
  /** Unbound workers kept started ahead. Default 0. */
  poolSize?: number;
  /** Most workers bound to projects at once. Default from memory: {@link defaultMaxInstances}. */
  maxInstances?: number;
  /** Starts that may wait for a slot before requests are refused with 503. Default 64. */
  maxQueue?: number;
  /** Longest a start waits for a slot. Default 30 000 ms. */
  queueTimeoutMs?: number;
  /** Seconds in Retry-After when refused for capacity. Default 2. */
  retryAfterSeconds?: number;
  /** A worker not ready (or not bound) this long after launch fails its held requests. Default 30 000 ms. */
  startTimeoutMs?: number;
  /** How long a draining worker may take to finish in-flight calls and save. Default 30 000 ms. */
  drainTimeoutMs?: number;
  /** After `drained` (or the drain deadline), time to exit before SIGTERM, and then before SIGKILL. Default 5 000 ms. */
  killGraceMs?: number;
  clock?: Clock;
  logger?: Logger;
  metrics?: RuntimeMetrics;
  /** Resident bytes of a process tree; injectable for tests. */
  rssOf?: (pid: number) => Promise<number | undefined>;
}

export interface LocalRuntime extends Runtime {
  readonly metrics: RuntimeMetrics;
  /** Drains every worker and stops the pool; refuses new requests. */
  close(): Promise<void>;
  /** Folder holding the project's files right now (its durable home, or its worker's instance folder). */
  projectDirOf(projectId: string): string;
  /** Warm pool workers by state. */
  poolStatus(): { size: number; warming: number; idle: number };
  /** Resolves once the warm pool holds `poolSize` started workers (for benchmarks and tests). */
  poolReady(): Promise<void>;
  readonly maxInstances: number;
}

/** A started worker plus what it has told us so far; every wait rejects as soon as it exits. */
interface WatchedWorker {
  worker: LaunchedWorker;
  instanceDir: string;
  launchedAt: number;
  listening: Deferred<Extract<WorkerToRuntime, { type: "listening" }>>;
  ready: Deferred<Extract<WorkerToRuntime, { type: "ready" }>>;
  bound: Deferred<Extract<WorkerToRuntime, { type: "bound" }>>;
  drained: Deferred<Extract<WorkerToRuntime, { type: "drained" }>>;
  exited: Deferred<string>;
  exitReason: string | undefined;
  blenderPid: number | undefined;
}

interface PoolWorker extends WatchedWorker {
  state: "warming" | "idle";
}

interface Instance {
  projectId: string;
  state: InstanceState;
  since: number;
  lastActivity: number;
  inFlight: number;
  streams: number;
  watched: WatchedWorker | undefined;
  /** Where the project's folder is while this instance holds it. */
  projectDir: string | undefined;
  holdsSlot: boolean;
  coldStart: ColdStartPhases | undefined;
  lastExit: string | undefined;
  startsTotal: number;
  startError: Error | undefined;
  ready: Deferred<void>;
  /** Resolves once the process is gone and the project folder is back home. */
  stopped: Deferred<void>;
  cancelIdle: (() => void) | undefined;
  /** When the in-flight count last dropped to zero (or the instance became ready). */
  idleSince: number;
  cancelDrainTimers: (() => void)[];
  drainReason: string | undefined;
  /** The process is gone and the folder is on its way back (finish() is running). */
  finishing?: boolean;
}

export function createLocalRuntime(options: LocalRuntimeOptions): LocalRuntime {
  const clock = options.clock ?? systemClock;
  const logger = options.logger;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const poolSize = options.poolSize ?? 0;
  const maxInstances = options.maxInstances ?? defaultMaxInstances(poolSize);
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
  const killGraceMs = options.killGraceMs ?? 5_000;
  const rssOf = options.rssOf ?? processTreeRss;
  const folders = createProjectFolders(options.dataDir);
  const metrics = options.metrics ?? createRuntimeMetrics();

  const instances = new Map<string, Instance>();
  const pool: PoolWorker[] = [];
  const poolWaiters: (() => void)[] = [];
  let poolFailures = 0;
  let poolRetryPending = false;
  let closed = false;
  const recovered = folders.recover().then(
    (projects) => {
      if (projects.length > 0) logger?.warn({ projects }, "moved project folders left checked out back home");
    },
    (error) => logger?.error({ err: error }, "project folder recovery failed"),
  );

  const breaker = createBreaker({
    maxInstances,
    maxQueue: options.maxQueue ?? 64,
    queueTimeoutMs: options.queueTimeoutMs ?? 30_000,
    retryAfterSeconds: options.retryAfterSeconds ?? 2,
    clock,
    onWait: () => makeRoom(),
    onQueueChange: (length) => metrics.queueLength.set(length),
  });

  metrics.setSources({
    instanceCounts: () => {
      const counts = Object.fromEntries(INSTANCE_STATES.map((state) => [state, 0])) as Record<InstanceState, number>;
      for (const instance of instances.values()) counts[instance.state] += 1;
      return counts;
    },
    poolCounts: () => ({
      warming: pool.filter((worker) => worker.state === "warming").length,
      idle: pool.filter((worker) => worker.state === "idle").length,
    }),
  });

  // ── workers ────────────────────────────────────────────────────────────────────────────────

  function launch(instanceDir: string, projectId: string | undefined, publicUrl: string | undefined): WatchedWorker {
    const worker = options.launcher.launch({
      instanceDir,
      deferBind: projectId === undefined,
      ...(projectId ? { projectId } : {}),
      ...(publicUrl ? { publicUrl } : {}),
    });
    const watched: WatchedWorker = {
      worker,
      instanceDir,
      launchedAt: clock.now(),
      listening: createDeferred(),
      ready: createDeferred(),
      bound: createDeferred(),
      drained: createDeferred(),
      exited: createDeferred(),
      exitReason: undefined,
      blenderPid: undefined,
    };
    worker.onMessage((message) => {
      switch (message.type) {
        case "listening":
          watched.listening.resolve(message);
          break;
        case "ready":
          watched.blenderPid = message.blenderPid;
          watched.ready.resolve(message);
          break;
        case "bound":
          watched.bound.resolve(message);
          break;
        case "bind-failed":
          watched.bound.reject(new Error(`the worker could not bind: ${message.message}`));
          break;
        case "drained":
          watched.drained.resolve(message);
          break;
      }
    });
    worker.onExit((reason) => {
      watched.exitReason = reason;
      const gone = new Error(`the worker exited (${reason})`);
      for (const waiting of [watched.listening, watched.ready, watched.bound, watched.drained]) waiting.reject(gone);
      watched.exited.resolve(reason);
    });
    return watched;
  }

  /** Waits for `promise` until `deadline` (clock ms); on timeout rejects with a timeout marker. */
  function until<T>(promise: Promise<T>, deadline: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const cancel = clock.setTimeout(() => reject(new StartDeadline()), Math.max(0, deadline - clock.now()));
      promise.then(
        (value) => {
          cancel();
          resolve(value);
        },
        (error) => {
          cancel();
          reject(error);
        },
      );
    });
  }

  // ── warm pool ──────────────────────────────────────────────────────────────────────────────

  function fillPool(): void {
    if (closed || poolRetryPending) return;
    while (pool.length < poolSize) {
      const placeholder = startPoolWorker();
      if (!placeholder) break;
    }
  }

  function startPoolWorker(): true | undefined {
    // The instance folder is created synchronously-enough: launch waits for it below.
    const entry = { state: "warming" } as PoolWorker;
    pool.push(entry);
    void (async () => {
      await recovered;
      const instanceDir = await folders.createInstanceDir();
      if (closed || !pool.includes(entry)) return folders.checkin(instanceDir);
      Object.assign(entry, launch(instanceDir, undefined, undefined));
      entry.ready.promise.then(
        () => {
          if (entry.state === "warming") entry.state = "idle";
          poolFailures = 0;
          notifyPool();
        },
        () => {},
      );
      entry.exited.promise.then(async (reason) => {
        const index = pool.indexOf(entry);
        if (index >= 0) {
          // Died while waiting in the pool: replace it, backing off if it keeps failing.
          pool.splice(index, 1);
          await folders.checkin(instanceDir);
          poolFailures += 1;
          logger?.warn({ reason, stderr: entry.worker.stderrTail() }, "pool worker exited before use");
          retryPoolLater();
        }
      });
    })().catch((error) => {
      const index = pool.indexOf(entry);
      if (index >= 0) pool.splice(index, 1);
      poolFailures += 1;
      logger?.error({ err: error }, "pool worker launch failed");
      retryPoolLater();
    });
    return true;
  }

  function retryPoolLater(): void {
    if (closed || poolRetryPending) return;
    poolRetryPending = true;
    clock.setTimeout(
      () => {
        poolRetryPending = false;
        fillPool();
      },
      Math.min(30_000, 250 * 2 ** Math.min(poolFailures, 7)),
    );
  }

  function notifyPool(): void {
    if (pool.every((worker) => worker.state === "idle") && pool.length >= poolSize) for (const wake of poolWaiters.splice(0)) wake();
  }

  /** An idle pool worker if there is one, else the one closest to ready, else none. */
  function takePoolWorker(): PoolWorker | undefined {
    const launched = pool.filter((worker) => worker.worker !== undefined);
    const choice = launched.find((worker) => worker.state === "idle") ?? launched[0];
    if (choice) pool.splice(pool.indexOf(choice), 1);
    return choice;
  }

  // ── instances ──────────────────────────────────────────────────────────────────────────────

  function setState(instance: Instance, next: InstanceState): void {
    assertTransition(instance.state, next);
    instance.state = next;
    instance.since = clock.now();
    logger?.info({ projectId: instance.projectId, state: next }, `instance-${next}`);
  }

  function beginStart(projectId: string, previous: Instance | undefined): Instance {
    const now = clock.now();
    const instance: Instance = {
      projectId,
      state: "starting",
      since: now,
      lastActivity: now,
      inFlight: 0,
      streams: 0,
      watched: undefined,
      projectDir: undefined,
      holdsSlot: false,
      coldStart: undefined,
      lastExit: previous?.lastExit,
      startsTotal: (previous?.startsTotal ?? 0) + 1,
      startError: undefined,
      ready: createDeferred(),
      stopped: createDeferred(),
      cancelIdle: undefined,
      idleSince: now,
      cancelDrainTimers: [],
      drainReason: undefined,
    };
    instances.set(projectId, instance);
    logger?.info({ projectId }, "instance-starting");
    runStart(instance, previous).catch((error: unknown) => failStart(instance, error));
    return instance;
  }

  async function runStart(instance: Instance, previous: Instance | undefined): Promise<void> {
    const { projectId } = instance;
    const requestedAt = clock.now();
    // The previous worker must be gone and the folder back home before anyone else takes it.
    if (previous) await previous.stopped.promise;
    await recovered;
    await breaker.acquire();
    instance.holdsSlot = true;
    if (closed) throw new RuntimeClosedError();
    const queueMs = clock.now() - requestedAt;
    const publicUrl = options.publicUrlFor?.(projectId);

    const pooled = takePoolWorker();
    const wasIdle = pooled?.state === "idle";
    let launchedAt = clock.now();
    let phases: ColdStartPhases | undefined;
    if (pooled) {
      const deadline = launchedAt + startTimeoutMs;
      instance.projectDir = await folders.checkout(projectId, pooled.instanceDir);
      try {
        await until(pooled.ready.promise, deadline);
        // A pool worker still warming when taken: the rest of its start shows as Blender time.
        const waitedForPoolMs = wasIdle ? 0 : clock.now() - launchedAt;
        pooled.worker.send({ type: "bind", projectId, dataDir: pooled.worker.bindPath, ...(publicUrl ? { publicUrl } : {}) });
        const bound = await until(pooled.bound.promise, deadline);
        instance.watched = pooled;
        watchExit(instance, pooled);
        phases = {
          queueMs,
          spawnMs: 0,
          blenderReadyMs: waitedForPoolMs,
          sceneRestoreMs: bound.sceneRestoreMs,
          totalMs: clock.now() - requestedAt,
          fromPool: true,
        };
      } catch (error) {
        // The pool worker died or refused the project: put the folder back and start a fresh worker.
        logger?.warn({ projectId, err: error, stderr: pooled.worker.stderrTail().slice(-500) }, "pool worker failed to bind");
        pooled.worker.kill("SIGKILL");
        await pooled.exited.promise;
        await folders.checkin(pooled.instanceDir);
        instance.projectDir = undefined;
        if (error instanceof StartDeadline) throw error;
        launchedAt = clock.now();
      }
      // Refill once this start is done, so the new Blender does not compete with the bind for CPU.
      fillPool();
    }
    if (!phases) {
      const deadline = launchedAt + startTimeoutMs;
      const instanceDir = await folders.createInstanceDir();
      instance.projectDir = await folders.checkout(projectId, instanceDir);
      const watched = launch(instanceDir, projectId, publicUrl);
      instance.watched = watched;
      watchExit(instance, watched);
      await until(watched.listening.promise, deadline);
      const ready = await until(watched.ready.promise, deadline);
      const launchToReadyMs = clock.now() - launchedAt;
      phases = {
        queueMs,
        // Process start, imports and listening: what the worker's own phases do not cover.
        spawnMs: Math.max(0, launchToReadyMs - ready.phases.blenderReadyMs - ready.phases.sceneRestoreMs),
        blenderReadyMs: ready.phases.blenderReadyMs,
        sceneRestoreMs: ready.phases.sceneRestoreMs,
        totalMs: clock.now() - requestedAt,
        fromPool: false,
      };
    }
    if (instance.state !== "starting") return;
    instance.coldStart = phases;
    const source = phases.fromPool ? "pool" : "spawn";
    metrics.coldStarts.inc({ source, outcome: "ok" });
    const observe = (phase: string, ms: number) => metrics.coldStartSeconds.observe({ phase, source }, ms / 1000);
    observe("queue", phases.queueMs);
    observe("spawn", phases.spawnMs);
    observe("blender_ready", phases.blenderReadyMs);
    observe("scene_restore", phases.sceneRestoreMs);
    observe("total", phases.totalMs);
    setState(instance, "ready");
    logger?.info({ projectId, phases: roundAll(phases) }, "instance-start-end");
    instance.ready.resolve();
    scheduleIdle(instance);
  }

  function failStart(instance: Instance, cause: unknown): void {
    if (instance.state !== "starting" || instance.startError) return;
    const elapsedMs = clock.now() - instance.since;
    const stderr = instance.watched?.worker.stderrTail().trim();
    let error: Error;
    if (cause instanceof StartDeadline) {
      error = new WorkerStartError(
        "worker_start_timeout",
        `The worker for project "${instance.projectId}" did not become ready within ${Math.round(startTimeoutMs / 1000)} s, so the requests held for it were failed; it has been stopped and the next request starts a new one.${stderr ? ` Its last output: ${stderr.slice(-500)}` : ""}`,
        { projectId: instance.projectId, elapsedMs },
      );
      metrics.coldStarts.inc({ source: instance.watched ? "spawn" : "none", outcome: "timeout" });
    } else if (cause instanceof RuntimeError) {
      error = cause; // CapacityError, RuntimeClosedError: they already say what to do.
    } else {
      error = new WorkerStartError(
        "worker_start_failed",
        `The worker for project "${instance.projectId}" failed to start: ${(cause as Error)?.message ?? String(cause)}.${stderr ? ` Its last output: ${stderr.slice(-500)}` : ""}`,
        { projectId: instance.projectId, elapsedMs },
      );
      metrics.coldStarts.inc({ source: instance.watched ? "spawn" : "none", outcome: "failed" });
    }
    instance.startError = error;
    instance.lastExit = error.message;
    logger?.error({ projectId: instance.projectId, err: error }, "instance-start-failed");
    instance.ready.reject(error);
    if (instance.watched && !instance.watched.exitReason) {
      // Requests already failed above; the exit handler puts the folder back and frees the slot.
      setState(instance, "draining");
      instance.watched.worker.kill("SIGKILL");
    } else if (!instance.watched) {
      void finish(instance, error.message);
    }
  }

  function watchExit(instance: Instance, watched: WatchedWorker): void {
    watched.exited.promise.then((reason) => {
      if (instance.state === "ready" || instance.state === "starting") {
        metrics.crashes.inc();
        logger?.warn({ projectId: instance.projectId, reason, stderr: watched.worker.stderrTail().slice(-500) }, "instance-crashed");
      }
      if (instance.state === "starting") failStart(instance, new Error(`it exited (${reason})`));
      void finish(instance, instance.drainReason ? `drained (${instance.drainReason})` : `exited unexpectedly (${reason})`);
    });
  }

  /** The instance's process is gone (or never came): put the folder back, free the slot, wake the waiters. */
  async function finish(instance: Instance, reason: string): Promise<void> {
    if (instance.state === "stopped" || instance.finishing) return;
    instance.finishing = true;
    instance.cancelIdle?.();
    for (const cancel of instance.cancelDrainTimers.splice(0)) cancel();
    if (instance.inFlight > 0) metrics.inFlight.dec(instance.inFlight);
    if (instance.streams > 0) metrics.streams.dec(instance.streams);
    instance.inFlight = 0;
    instance.streams = 0;
    if (!instance.startError) instance.lastExit = reason;
    // The folder goes back before the instance reads as stopped: whoever sees "stopped" (a new
    // start, /api/instances, a deletion) finds the project's files where they belong. Meanwhile
    // the instance reads as draining, so requests wait for the next worker.
    if (instance.state !== "draining") setState(instance, "draining");
    try {
      if (instance.watched) await folders.checkin(instance.watched.instanceDir);
    } catch (error) {
      logger?.error({ projectId: instance.projectId, err: error }, "could not move the project folder back");
    }
    instance.projectDir = undefined;
    setState(instance, "stopped");
    instance.finishing = false;
    if (instance.holdsSlot) {
      instance.holdsSlot = false;
      breaker.release();
    }
    instance.stopped.resolve();
  }

  /** Nothing is in flight from now: the instance drains if it stays so for the idle timeout. */
  function scheduleIdle(instance: Instance): void {
    instance.idleSince = clock.now();
    // One timer per instance, re-armed when it finds the instance was busy meanwhile, instead of a
    // timer set and cleared around every request.
    if (!instance.cancelIdle) armIdleTimer(instance, idleTimeoutMs);
    // A start is waiting for room and this worker just went quiet: it is the natural one to go.
    if (breaker.queued > 0) makeRoom();
  }

  function armIdleTimer(instance: Instance, delayMs: number): void {
    instance.cancelIdle = clock.setTimeout(() => {
      instance.cancelIdle = undefined;
      // Busy now: the release that brings it back to nothing in flight starts the next idle period.
      if (instance.state !== "ready" || instance.inFlight > 0) return;
      const idleMs = clock.now() - instance.idleSince;
      if (idleMs >= idleTimeoutMs) void drainInstance(instance, "idle");
      else armIdleTimer(instance, idleTimeoutMs - idleMs);
    }, delayMs);
  }

  /** Drains least recently used idle workers until enough slots are on their way for the waiting starts. */
  function makeRoom(): void {
    const freeing = [...instances.values()].filter((instance) => instance.state === "draining" && instance.holdsSlot).length;
    let needed = breaker.queued - freeing;
    if (needed <= 0) return;
    const idle = [...instances.values()]
      .filter((instance) => instance.state === "ready" && instance.inFlight === 0)
      .sort((a, b) => a.lastActivity - b.lastActivity);
    for (const instance of idle) {
      if (needed-- <= 0) break;
      logger?.info({ projectId: instance.projectId }, "evicting the least recently used idle worker");
      void drainInstance(instance, "evict");
    }
  }

  function drainInstance(instance: Instance, reason: "idle" | "evict" | "manual" | "shutdown" | "worker"): Promise<void> {
    if (instance.state === "stopped" || instance.state === "draining") return instance.stopped.promise;
    if (instance.state === "starting") {
      return instance.ready.promise.then(
        () => drainInstance(instance, reason),
        () => instance.stopped.promise,
      );
    }
    const watched = instance.watched!;
    setState(instance, "draining");
    instance.drainReason = reason;
    instance.cancelIdle?.();
    metrics.drains.inc({ reason });
    const startedAt = clock.now();
    const terminate = (why: string) => {
      logger?.warn({ projectId: instance.projectId, why }, "sending SIGTERM to worker");
      watched.worker.kill("SIGTERM");
      instance.cancelDrainTimers.push(
        clock.setTimeout(() => {
          logger?.warn({ projectId: instance.projectId }, "sending SIGKILL to worker");
          watched.worker.kill("SIGKILL");
        }, killGraceMs),
      );
    };
    try {
      watched.worker.send({ type: "drain" });
    } catch {
      terminate("control channel closed");
    }
    instance.cancelDrainTimers.push(clock.setTimeout(() => terminate("no drained reply in time"), drainTimeoutMs));
    watched.drained.promise.then(
      (drained) => {
        for (const cancel of instance.cancelDrainTimers.splice(0)) cancel();
        logger?.info(
          { projectId: instance.projectId, reason, savedMs: Math.round(drained.savedMs), drainMs: clock.now() - startedAt },
          "instance-drain-end",
        );
        // The worker exits on its own after "drained"; the signals are for one that lingers.
        instance.cancelDrainTimers.push(clock.setTimeout(() => terminate("still running after drained"), killGraceMs));
      },
      () => {},
    );
    return instance.stopped.promise;
  }

  function lease(instance: Instance, kind: "call" | "stream", coldStart: boolean): RouteLease {
    // The worker this lease goes to: the instance gets a new one after a crash or a drain.
    const watched = instance.watched;
    const endpoint = watched?.worker.endpoint();
    if (!watched || !endpoint) throw new Error(`ready instance for ${instance.projectId} has no endpoint`);
    if (kind === "call") {
      // Holds off the idle drain: the idle timer finds it in flight.
      instance.inFlight += 1;
      metrics.inFlight.inc();
    } else {
      instance.streams += 1;
      metrics.streams.inc();
    }
    instance.lastActivity = clock.now();
    let released = false;
    return {
      projectId: instance.projectId,
      endpoint,
      coldStart,
      release() {
        if (released) return;
        released = true;
        instance.lastActivity = clock.now();
        if (instance.state === "stopped") return;
        if (kind === "call") {
          instance.inFlight -= 1;
          metrics.inFlight.dec();
          if (instance.inFlight === 0 && instance.state === "ready") scheduleIdle(instance);
        } else {
          instance.streams -= 1;
          metrics.streams.dec();
        }
      },
      reportUnavailable(how) {
        // Only about this lease's worker, never a newer one the instance has started since.
        if (instance.state !== "ready" || instance.watched !== watched) return;
        logger?.warn({ projectId: instance.projectId, how }, "worker did not take a request");
        if (how === "unreachable") watched.worker.kill("SIGKILL");
        else void drainInstance(instance, "worker");
      },
      exited() {
        return watched.exited.promise.then(() => undefined);
      },
    };
  }

  async function route(projectId: string, routeOptions: RouteOptions = {}): Promise<RouteLease> {
    assertProjectId(projectId);
    const kind = routeOptions.kind ?? "call";
    let coldStart = false;
    for (;;) {
      if (closed) throw new RuntimeClosedError();
      let instance = instances.get(projectId);
      if (instance?.state === "ready") return lease(instance, kind, coldStart);
      coldStart = true;
      if (!instance || instance.state === "stopped") instance = beginStart(projectId, instance);
      if (instance.state === "starting") await abortable(instance.ready.promise, routeOptions.signal);
      // Draining: wait until it is gone, then the loop starts the next worker for this request.
      else await abortable(instance.stopped.promise, routeOptions.signal);
    }
  }

  async function info(instance: Instance): Promise<InstanceInfo> {
    const pid = instance.state === "stopped" ? undefined : instance.watched?.worker.pid;
    return {
      projectId: instance.projectId,
      state: instance.state,
      since: new Date(instance.since).toISOString(),
      lastActivity: new Date(instance.lastActivity).toISOString(),
      inFlight: instance.inFlight,
      streams: instance.streams,
      endpoint: pid === undefined ? undefined : instance.watched?.worker.endpoint(),
      pid,
      // A sandboxed worker reports Blender's pid inside its own PID namespace; look up ours.
      blenderPid:
        pid === undefined
          ? undefined
          : options.launcher.isolation === "none"
            ? instance.watched?.blenderPid
            : await findInProcessTree(pid, /^\S*blender\s/),
      rssBytes: pid === undefined ? undefined : await rssOf(pid),
      coldStart: instance.coldStart ? roundAll(instance.coldStart) : undefined,
      lastExit: instance.lastExit,
      startsTotal: instance.startsTotal,
    };
  }

  fillPool();

  const runtime: LocalRuntime = {
    metrics,
    maxInstances,
    async start(projectId, startOptions) {
      const lease = await route(projectId, { kind: "stream", ...(startOptions?.signal ? { signal: startOptions.signal } : {}) });
      lease.release();
      return lease.endpoint;
    },
    route,
    async drain(projectId) {
      assertProjectId(projectId);
      const instance = instances.get(projectId);
      if (instance) await drainInstance(instance, "manual");
    },
    async list() {
      return Promise.all([...instances.values()].sort((a, b) => a.projectId.localeCompare(b.projectId)).map(info));
    },
    projectDirOf(projectId) {
      return instances.get(projectId)?.projectDir ?? folders.homeOf(projectId);
    },
    poolStatus() {
      const idle = pool.filter((worker) => worker.state === "idle").length;
      return { size: poolSize, warming: pool.length - idle, idle };
    },
    poolReady() {
      if (poolSize === 0) return Promise.resolve();
      return new Promise((resolve) => {
        poolWaiters.push(resolve);
        notifyPool();
      });
    },
    async close() {
      closed = true;
      const draining = [...instances.values()].map((instance) => drainInstance(instance, "shutdown").catch(() => {}));
      const poolExits = pool.splice(0).map(async (entry) => {
        if (!entry.worker) return;
        entry.worker.kill("SIGKILL");
        await entry.exited.promise;
        await folders.checkin(entry.instanceDir);
      });
      await Promise.all([...draining, ...poolExits]);
    },
  };
  return runtime;
}

/** Marks a start that ran past its deadline. */
class StartDeadline extends Error {
  constructor() {
    super("start deadline passed");
    this.name = "StartDeadline";
  }
}

function roundAll(phases: ColdStartPhases): ColdStartPhases {
  return {
    queueMs: Math.round(phases.queueMs),
    spawnMs: Math.round(phases.spawnMs),
    blenderReadyMs: Math.round(phases.blenderReadyMs),
    sceneRestoreMs: Math.round(phases.sceneRestoreMs),
    totalMs: Math.round(phases.totalMs),
    fromPool: phases.fromPool,
  };
}

export type { WorkerEndpoint };
