// The Knative runtime backend: one Knative Service per project in one namespace. A project's
// Service is created on its first use with server-side apply and re-applied (with a fresh
// last-used annotation) at most every few minutes while it is used; its state comes from two
// informers (the workers' Services and their Revisions), never from polling a project; it is
// deleted with its project, and deleted by the sweeper after days unused (the next use creates it
// again). Knative does the rest: routing, holding requests while a pod starts, scale to zero.
import { BodError } from "@bod/contracts";
import {
  ApiException,
  CustomObjectsApi,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  makeInformer,
  type ObjectCache,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import {
  type KnativeInstance,
  type KnativeRevisionObject,
  type KnativeServiceObject,
  knativeInstanceState,
} from "./knative-instance-state.ts";
import {
  buildWorkerService,
  FIELD_MANAGER,
  LAST_USED_ANNOTATION,
  WORKER_SELECTOR,
  type WorkerServiceSettings,
  workerServiceName,
  workerServiceUrl,
} from "./worker-service.ts";

const GROUP = "serving.knative.dev";
const VERSION = "v1";

export interface KnativeRuntimeOptions {
  /** Where the API server is and who we are: in-cluster service account or KUBECONFIG. */
  kubeConfig: KubeConfig;
  /** How each project's Service is built (namespace, image, scaling, timeouts, resources, stores). */
  settings: WorkerServiceSettings;
  /** Days without use after which the sweeper deletes a project's Service; 0 never. Default 14. */
  deleteAfterIdleDays?: number;
  /** How often the sweeper looks, milliseconds. Default 3 600 000 (an hour). */
  sweepIntervalMs?: number;
  /** Least time between two last-used updates of one Service, milliseconds. Default 600 000. */
  touchIntervalMs?: number;
  /** Longest wait for a new Service to get its address, milliseconds. Default 120 000. */
  addressTimeoutMs?: number;
  /** Milliseconds since the epoch (tests pass their own). */
  now?: () => number;
  /** Errors that nothing awaits (informer restarts, sweeps). */
  onError?: (error: unknown, context: string) => void;
}

export interface KnativeRuntime {
  /** Starts the informers; resolves once both have listed what exists. */
  start(): Promise<void>;
  /**
   * Makes sure the project's Service exists (server-side apply on first use, re-applied with a
   * new last-used time at most every touch interval) and returns its base URL: the address
   * Knative reports (`http://<name>.<namespace>.svc.cluster.local`). Concurrent calls share one apply.
   */
  ensure(projectId: string, options?: { signal?: AbortSignal }): Promise<string>;
  /** The project's instance as the informers last saw it; undefined when it has no Service. */
  instance(projectId: string): KnativeInstance | undefined;
  /** Deletes the project's Service (its pod drains and ends); done when the API server has deleted it. Idempotent. */
  delete(projectId: string): Promise<void>;
  /** Deletes every Service unused for deleteAfterIdleDays; returns their names. */
  sweep(): Promise<string[]>;
  /** Stops the informers and the sweeper. */
  close(): Promise<void>;
}

/** Thrown when a project's Service cannot be created or reached; `retryAfterSeconds` when trying again may help. */
export class KnativeRuntimeError extends BodError<"cluster_unavailable", { retryAfterSeconds?: number }> {
  override readonly name = "KnativeRuntimeError";
  readonly retryAfterSeconds: number | undefined;
  constructor(message: string, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(
      "cluster_unavailable",
      message,
      options.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: options.retryAfterSeconds },
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

function statusCodeOf(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

function describeApiError(error: unknown): string {
  if (error instanceof ApiException) {
    const body = typeof error.body === "string" ? safeJson(error.body) : error.body;
    const message = (body as { message?: string } | undefined)?.message;
    return `the Kubernetes API answered ${error.code}${message ? `: ${message}` : ""}`;
  }
  return error instanceof Error ? error.message : String(error);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Creates the backend; call start() before use. */
export function createKnativeRuntime(options: KnativeRuntimeOptions): KnativeRuntime {
  const { settings } = options;
  const namespace = settings.namespace;
  const now = options.now ?? Date.now;
  const touchIntervalMs = options.touchIntervalMs ?? 600_000;
  const addressTimeoutMs = options.addressTimeoutMs ?? 120_000;
  const deleteAfterMs = (options.deleteAfterIdleDays ?? 14) * 86_400_000;
  const onError = options.onError ?? (() => {});
  const api = options.kubeConfig.makeApiClient(CustomObjectsApi);
  const base = `/apis/${GROUP}/${VERSION}/namespaces/${namespace}`;

  const listOf = (plural: string) => () =>
    api.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural, labelSelector: WORKER_SELECTOR }) as Promise<
      KubernetesListObject<KubernetesObject>
    >;
  const services = makeInformer(options.kubeConfig, `${base}/services`, listOf("services"), WORKER_SELECTOR) as Informer<KubernetesObject> &
    ObjectCache<KnativeServiceObject & KubernetesObject>;
  const revisions = makeInformer(
    options.kubeConfig,
    `${base}/revisions`,
    listOf("revisions"),
    WORKER_SELECTOR,
  ) as Informer<KubernetesObject> & ObjectCache<KnativeRevisionObject & KubernetesObject>;

  let closed = false;
  const restartTimers = new Set<NodeJS.Timeout>();
  for (const [informer, what] of [
    [services, "services"],
    [revisions, "revisions"],
  ] as const) {
    // The informer stops on an error it cannot resume from (API server unreachable); start it
    // again after a pause, relisting what changed meanwhile.
    informer.on("error", (error) => {
      if (closed) return;
      onError(error, `watching ${what}`);
      const timer = setTimeout(() => {
        restartTimers.delete(timer);
        if (!closed) informer.start().catch((restartError) => onError(restartError, `watching ${what}`));
      }, 2000);
      timer.unref();
      restartTimers.add(timer);
    });
  }

  /** Waiters for a Service change (address known, failure, deletion), by Service name. */
  const waiters = new Map<string, Set<() => void>>();
  const wake = (object: KubernetesObject) => {
    const name = object.metadata?.name;
    if (!name) return;
    for (const waiter of waiters.get(name) ?? []) waiter();
  };
  services.on("add", wake);
  services.on("update", wake);
  services.on("delete", wake);

  const ensuring = new Map<string, Promise<string>>();
  const touchedAt = new Map<string, number>();
  let sweepTimer: NodeJS.Timeout | undefined;

  async function apply(projectId: string): Promise<KnativeServiceObject> {
    const service = buildWorkerService(projectId, settings, new Date(now()));
    try {
      const applied = (await api.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          namespace,
          plural: "services",
          name: service.metadata.name,
          body: service,
          fieldManager: FIELD_MANAGER,
          force: true,
        },
        setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
      )) as KnativeServiceObject;
      touchedAt.set(projectId, now());
      return applied;
    } catch (error) {
      throw new KnativeRuntimeError(`Could not apply the Knative Service of project "${projectId}": ${describeApiError(error)}`, {
        cause: error,
        retryAfterSeconds: 5,
      });
    }
  }

  /**
   * Waits until `decide` settles on the Service as the informer sees it (checked now and on each
   * change of it), for at most the address timeout.
   */
  function waitForService<T>(
    name: string,
    what: string,
    signal: AbortSignal | undefined,
    decide: (current: KnativeServiceObject | undefined) => { value: T } | { error: Error } | undefined,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const outcome = decide(services.get(name, namespace));
        if (!outcome) return false;
        finish();
        if ("error" in outcome) reject(outcome.error);
        else resolve(outcome.value);
        return true;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new KnativeRuntimeError(`${what} within ${addressTimeoutMs / 1000} s.`, { retryAfterSeconds: 5 }));
      }, addressTimeoutMs);
      const onAbort = () => {
        finish();
        reject(signal?.reason ?? new Error("aborted"));
      };
      const waiter = () => void check();
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        waiters.get(name)?.delete(waiter);
        if (waiters.get(name)?.size === 0) waiters.delete(name);
      };
      if (check()) return;
      signal?.addEventListener("abort", onAbort, { once: true });
      if (!waiters.has(name)) waiters.set(name, new Set());
      waiters.get(name)!.add(waiter);
    });
  }

  async function ensureOnce(projectId: string, signal: AbortSignal | undefined): Promise<string> {
    const name = workerServiceName(projectId);
    const cached = services.get(name, namespace);
    // A Service on its way out (deleted or swept a moment ago) cannot be revived: wait until it
    // is gone, then create it anew.
    if (cached?.metadata?.deletionTimestamp)
      await waitForService(name, `The Knative Service of project "${projectId}" was being deleted and is not gone`, signal, (current) =>
        current?.metadata?.deletionTimestamp ? undefined : { value: true },
      );
    const current = services.get(name, namespace);
    // NaN (never touched) compares false: apply.
    const lastTouch = touchedAt.get(projectId) ?? Date.parse(current?.metadata?.annotations?.[LAST_USED_ANNOTATION] ?? "");
    if (!current || !(now() - lastTouch < touchIntervalMs)) await apply(projectId);
    return waitForService<string>(name, `The Knative Service of project "${projectId}" got no address`, signal, (service) => {
      const url = service?.status?.address?.url;
      if (service && !service.metadata?.deletionTimestamp && url) return { value: url.replace(/\/$/, "") };
      const failed = service ? knativeInstanceState(service, undefined, LAST_USED_ANNOTATION)?.failure : undefined;
      if (failed) return { error: new KnativeRuntimeError(`The Knative Service of project "${projectId}" failed: ${failed}`) };
      return undefined;
    });
  }

  async function deleteService(name: string, preconditions?: { resourceVersion: string }): Promise<boolean> {
    try {
      await api.deleteNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: "services",
        name,
        propagationPolicy: "Background",
        ...(preconditions ? { body: { preconditions } } : {}),
      });
      return true;
    } catch (error) {
      if (statusCodeOf(error) === 404) return false;
      // The precondition failed: the Service was used (re-applied) since it was read.
      if (preconditions && statusCodeOf(error) === 409) return false;
      throw new KnativeRuntimeError(`Could not delete the Knative Service ${name}: ${describeApiError(error)}`, {
        cause: error,
        retryAfterSeconds: 5,
      });
    }
  }

  const runtime: KnativeRuntime = {
    async start() {
      await Promise.all([services.start(), revisions.start()]);
      if (deleteAfterMs > 0) {
        sweepTimer = setInterval(() => {
          runtime.sweep().catch((error) => onError(error, "sweeping idle Services"));
        }, options.sweepIntervalMs ?? 3_600_000);
        sweepTimer.unref();
      }
    },
    ensure(projectId, ensureOptions = {}) {
      const pending = ensuring.get(projectId);
      if (pending) return pending;
      const started = ensureOnce(projectId, ensureOptions.signal).finally(() => ensuring.delete(projectId));
      ensuring.set(projectId, started);
      return started;
    },
    instance(projectId) {
      const service = services.get(workerServiceName(projectId), namespace);
      const revisionName = service?.status?.latestReadyRevisionName ?? service?.status?.latestCreatedRevisionName;
      const revision = revisionName ? revisions.get(revisionName, namespace) : undefined;
      return knativeInstanceState(service, revision, LAST_USED_ANNOTATION);
    },
    async delete(projectId) {
      touchedAt.delete(projectId);
      await deleteService(workerServiceName(projectId));
    },
    async sweep() {
      if (deleteAfterMs <= 0) return [];
      const deleted: string[] = [];
      for (const service of services.list(namespace)) {
        const name = service.metadata?.name;
        const resourceVersion = service.metadata?.resourceVersion;
        if (!name || !resourceVersion || service.metadata?.deletionTimestamp) continue;
        const lastUsed = Date.parse(
          service.metadata?.annotations?.[LAST_USED_ANNOTATION] ?? String(service.metadata?.creationTimestamp ?? ""),
        );
        if (Number.isNaN(lastUsed) || now() - lastUsed < deleteAfterMs) continue;
        // Only if nobody used it since it was read (the resourceVersion precondition).
        if (await deleteService(name, { resourceVersion })) deleted.push(name);
      }
      return deleted;
    },
    async close() {
      closed = true;
      if (sweepTimer) clearInterval(sweepTimer);
      for (const timer of restartTimers) clearTimeout(timer);
      await Promise.all([services.stop(), revisions.stop()]);
    },
  };
  return runtime;
}

/** The address a project's Service will have in the cluster, before Knative reports it. */
export function expectedWorkerUrl(projectId: string, settings: WorkerServiceSettings): string {
  return workerServiceUrl(projectId, settings.namespace, settings.clusterDomain);
}
