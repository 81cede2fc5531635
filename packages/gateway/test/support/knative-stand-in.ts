// A test-side stand-in for Knative Serving on the loopback Kubernetes API server: what its
// controllers, activator and queue-proxy do for the worker Services the gateway creates, in the
// parts the product relies on.
//   - Controller: for each Service (and each new generation of it) a Revision `<name>-0000N`,
//     the Service's status (observedGeneration, latest revisions, Ready, address.url) and the
//     Revision's replica counts and Active condition, written through the API server so the
//     gateway's informers see them. A deleted Service's revisions and pod go too.
//   - Activator: the Service's address is a loopback HTTP server of its own; a request for a
//     Service scaled to zero is held while a pod (a worker) starts, then forwarded with the
//     Service's cluster host name as Host, as Knative delivers it.
//   - KPA: one pod at most; scale to zero after the Service's window without requests, or when
//     the test says so.
//   - Queue-proxy timeouts: timeoutSeconds and responseStartTimeoutSeconds answer 504 when a
//     response has not started in time, idleTimeoutSeconds when a started one goes silent, timed
//     from the request's arrival at the pod (the same rules as Knative's timeout handler).
// A pod is started by a StartServiceWorker: `startWorkerContainer` runs the Service's image with
// podman (what CI runs); `startWorkerProcess` runs `bod worker` of this checkout with the pod's args
// and env, where podman cannot run the image.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, type KubeApiServer, type KubeObject, LOCAL_PODMAN_RUN_FLAGS } from "@bod/testing";
import { BOD } from "./serve-process.ts";
import { stopChild } from "./stop-child.ts";

/** One running pod's worker. */
export interface ServiceWorker {
  /** `http://127.0.0.1:PORT` where it listens. */
  url: string;
  /** The process id (a process) or the container's name (a container). */
  id: string;
  /** SIGTERM, and wait until it has exited (its drain saves the scene). */
  stop(): Promise<void>;
  /** Resolves when it exits, however it exits. */
  exited: Promise<void>;
  /** Its output so far. */
  output(): string;
}

/** Secrets of the namespace by name: what `envFrom.secretRef` reads. */
export type Secrets = Record<string, Record<string, string>>;

/**
 * Starts one pod of a worker Service: the seam between the stand-in and what runs a pod. Rejects
 * with a message like the kubelet's when the pod cannot start (a missing Secret).
 */
export type StartServiceWorker = (service: KubeObject, pod: { name: string; env: Record<string, string> }) => Promise<ServiceWorker>;

interface Container {
  image: string;
  args?: string[];
  env?: Array<{ name: string; value: string }>;
  envFrom?: Array<{ secretRef?: { name: string; optional?: boolean } }>;
  readinessProbe?: { httpGet?: { path?: string } };
}

interface TemplateSpec {
  containerConcurrency?: number;
  timeoutSeconds?: number;
  responseStartTimeoutSeconds?: number;
  idleTimeoutSeconds?: number;
  containers: Container[];
}

function templateOf(service: KubeObject): { labels: Record<string, string>; annotations: Record<string, string>; spec: TemplateSpec } {
  const template = (
    service.spec as {
      template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: TemplateSpec };
    }
  ).template;
  return { labels: template.metadata?.labels ?? {}, annotations: template.metadata?.annotations ?? {}, spec: template.spec };
}

/** The pod's environment: the container's `env` values and the Secrets `envFrom` names (a missing one fails the pod, as the kubelet does). */
export function podEnvironment(service: KubeObject, secrets: Secrets): Record<string, string> {
  const container = templateOf(service).spec.containers[0]!;
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const name = source.secretRef?.name;
    if (!name) continue;
    const secret = secrets[name];
    if (!secret) {
      if (source.secretRef?.optional) continue;
      throw new Error(`CreateContainerConfigError: secret "${name}" not found`);
    }
    Object.assign(env, secret);
  }
  for (const entry of container.env ?? []) env[entry.name] = entry.value;
  return env;
}

/** The container's args with the listening address and scratch folder of this machine. */
function localArgs(args: string[], port: number, dataDir: string | undefined): string[] {
  const result = [...args];
  const set = (flag: string, value: string) => {
    const at = result.indexOf(flag);
    if (at >= 0) result[at + 1] = value;
  };
  set("--host", "127.0.0.1");
  set("--port", String(port));
  if (dataDir) set("--data-dir", dataDir);
  return result;
}

async function waitForReady(url: string, path: string, exited: () => boolean, output: () => string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`the worker exited before it was ready:\n${output()}`);
    const ok = await fetch(`${url}${path}`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the worker was not ready within ${timeoutMs / 1000} s:\n${output()}`);
}

/**
 * Runs a pod as a `bod worker` process of this checkout, with the pod's args (listening on a free
 * loopback port, scratch in a temporary folder) and only the pod's environment besides PATH and
 * HOME: credentials reach it through the Secret exactly as in the cluster.
 */
export function startWorkerProcess(): StartServiceWorker {
  return async (service, pod) => {
    const container = templateOf(service).spec.containers[0]!;
    const port = await freePort();
    const dataDir = await mkdtemp(join(tmpdir(), `bod-pod-${pod.name}-`));
    const child: ChildProcess = spawn(BOD, localArgs(container.args ?? [], port, dataDir), {
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: process.env.HOME ?? "/tmp",
        ...(process.env.BLENDER_PATH ? { BLENDER_PATH: process.env.BLENDER_PATH } : {}),
        ...pod.env,
      },
    });
    let output = "";
    child.stdout!.on("data", (chunk) => {
      output = (output + chunk).slice(-32_768);
    });
    child.stderr!.on("data", (chunk) => {
      output = (output + chunk).slice(-32_768);
    });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const url = `http://127.0.0.1:${port}`;
    const probe = container.readinessProbe?.httpGet?.path ?? "/";
    try {
      await waitForReady(
        url,
        probe,
        () => child.exitCode !== null || child.signalCode !== null,
        () => output,
      );
    } catch (error) {
      child.kill("SIGKILL");
      await exited;
      await rm(dataDir, { recursive: true, force: true });
      throw error;
    }
    return {
      url,
      id: String(child.pid),
      exited: exited.then(() => rm(dataDir, { recursive: true, force: true })),
      output: () => output,
      async stop() {
        await stopChild(child, 30_000);
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  };
}

/**
 * Runs a pod as a container of the Service's image with podman: the Service's args (the worker
 * on a free port of the host network) and the pod's environment, each variable passed by name
 * so that no credential is on a command line.
 */
export function startWorkerContainer(): StartServiceWorker {
  const run = promisify(execFile);
  return async (service, pod) => {
    const container = templateOf(service).spec.containers[0]!;
    const port = await freePort();
    const name = `bod-${pod.name}-${randomBytes(3).toString("hex")}`;
    const args = [
      "run",
      "--detach",
      "--name",
      name,
      ...LOCAL_PODMAN_RUN_FLAGS,
      ...Object.keys(pod.env).flatMap((key) => ["--env", key]),
      container.image,
      ...localArgs(container.args ?? [], port, undefined),
    ];
    await run("podman", args, { env: { ...process.env, ...pod.env }, timeout: 60_000 });
    let logs = "";
    const output = () => logs;
    const refreshLogs = async () => {
      const result = await run("podman", ["logs", name], { maxBuffer: 16 * 1024 * 1024 }).catch(() => ({ stdout: "", stderr: "" }));
      logs = `${result.stdout}${result.stderr}`.slice(-32_768);
    };
    let gone = false;
    const exited = run("podman", ["wait", name], { timeout: 0 }).then(
      async () => {
        await refreshLogs();
        gone = true;
      },
      () => {
        gone = true;
      },
    );
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitForReady(url, container.readinessProbe?.httpGet?.path ?? "/", () => gone, output);
    } catch (error) {
      await refreshLogs();
      await run("podman", ["rm", "--force", "--time", "0", name]).catch(() => undefined);
      throw new Error(`${(error as Error).message}\n${logs}`);
    }
    return {
      url,
      id: name,
      exited: exited.then(() =>
        run("podman", ["rm", "--force", name]).then(
          () => undefined,
          () => undefined,
        ),
      ),
      output,
      async stop() {
        await run("podman", ["stop", "--time", "30", name], { timeout: 90_000 }).catch(() => undefined);
        await exited;
      },
    };
  };
}

/** One request the activator forwarded, for assertions. */
export interface ForwardedRequest {
  service: string;
  method: string;
  path: string;
  /** The Host the worker saw. */
  host: string;
  status: number;
  /** Milliseconds from arrival at the pod to the end of the response. */
  durationMs: number;
  /** Milliseconds from arrival at the pod to the first byte of the response. */
  firstByteMs: number;
  /** Why the queue-proxy rules cut it, if they did. */
  timedOut?: "request" | "response-start" | "idle";
}

interface ServiceState {
  name: string;
  proxy: Server;
  url: string;
  revision: string;
  generation: number;
  worker: ServiceWorker | undefined;
  starting: Promise<ServiceWorker> | undefined;
  inFlight: number;
  idleTimer: NodeJS.Timeout | undefined;
  starts: number;
  deleted: boolean;
}

export interface KnativeStandIn {
  /** The Service's state, by Service name. */
  workerOf(service: string): ServiceWorker | undefined;
  /** How many pods the Service has had. */
  startsOf(service: string): number;
  /** Scales the Service to zero now (as the autoscaler does after the window): its worker drains and ends. */
  scaleToZero(service: string): Promise<void>;
  /** Every request forwarded to a pod so far. */
  requests(): ForwardedRequest[];
  stop(): Promise<void>;
}

export interface KnativeStandInOptions {
  api: KubeApiServer;
  namespace: string;
  startWorker: StartServiceWorker;
  /** The namespace's Secrets, for `envFrom`. */
  secrets: Secrets;
  /** Log lines (pod starts and stops) for failing tests. */
  log?: (line: string) => void;
}

function seconds(text: string | undefined, fallback: number): number {
  const match = /^(\d+)s?$/.exec(text ?? "");
  return match ? Number(match[1]) : fallback;
}

/** Starts the stand-in; it acts on every Service of `namespace` from now on. */
export function startKnativeStandIn(options: KnativeStandInOptions): KnativeStandIn {
  const { api, namespace } = options;
  const log = options.log ?? (() => {});
  const states = new Map<string, ServiceState>();
  const forwarded: ForwardedRequest[] = [];
  let stopped = false;

  const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const setReplicas = (state: ServiceState, actual: number, desired: number) => {
    if (state.deleted || !api.get("revisions", namespace, state.revision)) return;
    api.writeStatus("revisions", namespace, state.revision, {
      observedGeneration: 1,
      actualReplicas: actual,
      desiredReplicas: desired,
      conditions: [
        { type: "Ready", status: "True", lastTransitionTime: now() },
        actual > 0
          ? { type: "Active", status: "True", lastTransitionTime: now() }
          : {
              type: "Active",
              status: desired > 0 ? "Unknown" : "False",
              reason: desired > 0 ? "Queued" : "NoTraffic",
              lastTransitionTime: now(),
            },
      ],
    });
  };
  const serviceStatus = (state: ServiceState, ready: { status: "True" | "False" | "Unknown"; reason?: string; message?: string }) => {
    const service = api.get("services", namespace, state.name);
    if (!service || state.deleted) return;
    const wasReady = (service.status as { latestReadyRevisionName?: string } | undefined)?.latestReadyRevisionName;
    api.writeStatus("services", namespace, state.name, {
      observedGeneration: state.generation,
      latestCreatedRevisionName: state.revision,
      ...(ready.status === "True" ? { latestReadyRevisionName: state.revision } : wasReady ? { latestReadyRevisionName: wasReady } : {}),
      conditions: ["Ready", "ConfigurationsReady", "RoutesReady"].map((type) => ({
        type,
        ...ready,
        lastTransitionTime: now(),
      })),
      ...(ready.status === "True" || wasReady ? { url: state.url, address: { url: state.url } } : {}),
    });
  };

  /** Starts the Service's pod unless one runs or starts; resolves with it. */
  function scaleUp(state: ServiceState): Promise<ServiceWorker> {
    if (state.worker) return Promise.resolve(state.worker);
    if (state.starting) return state.starting;
    const service = api.get("services", namespace, state.name);
    if (!service) return Promise.reject(new Error(`service ${state.name} is gone`));
    setReplicas(state, 0, 1);
    state.starts++;
    const podName = `${state.revision}-deployment-${randomBytes(3).toString("hex")}`;
    log(`starting pod ${podName}`);
    state.starting = (async () => {
      const env = podEnvironment(service, options.secrets);
      const worker = await options.startWorker(service, { name: podName, env });
      if (state.deleted || stopped) {
        await worker.stop();
        throw new Error(`service ${state.name} was deleted while its pod started`);
      }
      state.worker = worker;
      void worker.exited.then(() => {
        if (state.worker !== worker) return;
        state.worker = undefined;
        log(`pod of ${state.name} exited`);
        setReplicas(state, 0, 0);
      });
      setReplicas(state, 1, 1);
      serviceStatus(state, { status: "True" });
      log(`pod ${podName} ready at ${worker.url}`);
      return worker;
    })().finally(() => {
      state.starting = undefined;
    });
    state.starting.catch((error: Error) => {
      log(`pod ${podName} failed: ${error.message}`);
      setReplicas(state, 0, 0);
      if (
        !(api.get("services", namespace, state.name)?.status as { latestReadyRevisionName?: string } | undefined)?.latestReadyRevisionName
      )
        serviceStatus(state, { status: "False", reason: "RevisionFailed", message: error.message.split("\n")[0]! });
    });
    return state.starting;
  }

  async function scaleDown(state: ServiceState): Promise<void> {
    if (state.idleTimer) clearTimeout(state.idleTimer);
    state.idleTimer = undefined;
    const worker = state.worker ?? (await state.starting?.catch(() => undefined));
    if (!worker) return;
    setReplicas(state, 1, 0);
    await worker.stop();
    if (state.worker === worker) state.worker = undefined;
    setReplicas(state, 0, 0);
  }

  function armIdleTimer(state: ServiceState): void {
    if (state.idleTimer) clearTimeout(state.idleTimer);
    if (state.inFlight > 0) return;
    const service = api.get("services", namespace, state.name);
    if (!service) return;
    const window = seconds(templateOf(service).annotations["autoscaling.knative.dev/window"], 60);
    state.idleTimer = setTimeout(() => void scaleDown(state), window * 1000);
    state.idleTimer.unref();
  }

  async function activate(state: ServiceState, req: IncomingMessage, res: ServerResponse): Promise<void> {
    state.inFlight++;
    if (state.idleTimer) clearTimeout(state.idleTimer);
    try {
      let worker: ServiceWorker;
      try {
        worker = await scaleUp(state);
      } catch (error) {
        res.writeHead(503, { "content-type": "text/plain" });
        res.end(`activator: no pod for ${state.name}: ${(error as Error).message}`);
        return;
      }
      await forward(state, worker, req, res);
    } finally {
      state.inFlight--;
      armIdleTimer(state);
    }
  }

  /** Forwards like queue-proxy: the Service's host as Host, its timeouts by Knative's rules. */
  function forward(state: ServiceState, worker: ServiceWorker, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const service = api.get("services", namespace, state.name)!;
    const spec = templateOf(service).spec;
    const host = `${state.name}.${namespace}.svc.cluster.local`;
    const arrived = performance.now();
    const record: ForwardedRequest = {
      service: state.name,
      method: req.method ?? "GET",
      path: req.url ?? "/",
      host,
      status: 0,
      durationMs: 0,
      firstByteMs: -1,
    };
    forwarded.push(record);
    return new Promise((resolve) => {
      const target = new URL(worker.url);
      const upstream = httpRequest({
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host },
      });
      const timers: NodeJS.Timeout[] = [];
      let lastWrite = 0;
      const finish = () => {
        for (const timer of timers) clearTimeout(timer);
        record.durationMs = performance.now() - arrived;
        resolve();
      };
      const cut = (why: NonNullable<ForwardedRequest["timedOut"]>) => {
        record.timedOut = why;
        upstream.destroy();
        if (!res.headersSent) {
          record.status = 504;
          res.writeHead(504, { "content-type": "text/plain" });
          res.end(`queue-proxy: ${why} timeout`);
        } else res.destroy();
        finish();
      };
      // timeoutSeconds and responseStartTimeoutSeconds cut only a response that has not started.
      for (const [limit, why] of [
        [spec.timeoutSeconds, "request"],
        [spec.responseStartTimeoutSeconds, "response-start"],
      ] as const)
        if (limit && limit > 0) timers.push(setTimeout(() => (lastWrite === 0 ? cut(why) : undefined), limit * 1000));
      const idle = spec.idleTimeoutSeconds ?? 0;
      const armIdle = () => {
        if (idle <= 0) return;
        timers.push(setTimeout(() => (performance.now() - lastWrite >= idle * 1000 ? cut("idle") : undefined), idle * 1000));
      };
      armIdle();
      upstream.once("response", (response) => {
        record.status = response.statusCode ?? 0;
        record.firstByteMs = performance.now() - arrived;
        lastWrite = performance.now();
        res.writeHead(response.statusCode ?? 502, response.headers);
        res.flushHeaders();
        response.on("data", (chunk: Buffer) => {
          lastWrite = performance.now();
          armIdle();
          res.write(chunk);
        });
        response.once("end", () => {
          res.end();
          finish();
        });
        response.once("error", () => {
          res.destroy();
          finish();
        });
      });
      upstream.once("error", (error) => {
        if (record.timedOut) return;
        if (!res.headersSent) {
          record.status = 502;
          res.writeHead(502, { "content-type": "text/plain" });
          res.end(`queue-proxy: ${error.message}`);
        } else res.destroy();
        finish();
      });
      res.once("close", () => {
        if (!res.writableFinished) upstream.destroy();
      });
      req.pipe(upstream);
    });
  }

  async function onService(type: string, service: KubeObject): Promise<void> {
    const name = service.metadata.name;
    let state = states.get(name);
    if (type === "DELETED") {
      if (!state) return;
      state.deleted = true;
      states.delete(name);
      // What Kubernetes' garbage collector does for the objects the Service owns.
      for (const revision of api.list("revisions", namespace))
        if (revision.metadata.name.startsWith(`${name}-`)) api.remove("revisions", namespace, revision.metadata.name);
      await scaleDown(state).catch(() => undefined);
      state.proxy.closeAllConnections();
      state.proxy.close();
      return;
    }
    const generation = service.metadata.generation ?? 1;
    if (state && state.generation === generation) return;
    if (!state) {
      const proxy = createServer();
      await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", () => resolve()));
      const address = proxy.address() as { port: number };
      state = {
        name,
        proxy,
        url: `http://127.0.0.1:${address.port}`,
        revision: "",
        generation: 0,
        worker: undefined,
        starting: undefined,
        inFlight: 0,
        idleTimer: undefined,
        starts: 0,
        deleted: false,
      };
      const current = state;
      proxy.on("request", (req, res) => void activate(current, req, res));
      states.set(name, state);
    } else {
      // A new generation: a new revision takes over; the old pod goes.
      await scaleDown(state);
    }
    state.generation = generation;
    state.revision = `${name}-${String(generation).padStart(5, "0")}`;
    const template = templateOf(service);
    api.create("revisions", {
      apiVersion: "serving.knative.dev/v1",
      kind: "Revision",
      metadata: {
        name: state.revision,
        namespace,
        labels: { ...template.labels, "serving.knative.dev/service": name, "serving.knative.dev/configuration": name },
        annotations: template.annotations,
        ownerReferences: [{ apiVersion: "serving.knative.dev/v1", kind: "Configuration", name, uid: service.metadata.uid }],
      },
      spec: template.spec as unknown as Record<string, unknown>,
    });
    serviceStatus(state, { status: "Unknown", reason: "RevisionMissing" });
    // Knative starts a new revision's first pod at once (initial scale 1), then lets it scale to zero.
    void scaleUp(state)
      .then(() => armIdleTimer(state))
      .catch(() => undefined);
  }

  // Changes are handled one at a time, in order, like a controller's work queue per key.
  let queue = Promise.resolve();
  const unsubscribe = api.subscribe("services", namespace, (type, service) => {
    queue = queue.then(() => onService(type, service)).catch((error: Error) => log(`controller: ${error.message}`));
  });

  return {
    workerOf: (service) => states.get(service)?.worker,
    startsOf: (service) => states.get(service)?.starts ?? 0,
    async scaleToZero(service) {
      const state = states.get(service);
      if (state) await scaleDown(state);
    },
    requests: () => forwarded.map((record) => ({ ...record })),
    async stop() {
      stopped = true;
      unsubscribe();
      await queue;
      await Promise.all(
        [...states.values()].map(async (state) => {
          await scaleDown(state).catch(() => undefined);
          state.proxy.closeAllConnections();
          state.proxy.close();
        }),
      );
      states.clear();
    },
  };
}
