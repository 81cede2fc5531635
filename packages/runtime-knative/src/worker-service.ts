// The Knative Service that runs one project's worker: a pure function from a project id and the
// cluster settings to the exact object the Knative backend applies (and `bod deploy
// worker-service` prints). No Kubernetes client is loaded here, so validators and the command
// line can import it cheaply.
import { createHash } from "node:crypto";
import { PROJECT_ID_PATTERN } from "@bod/contracts";

/** The API group and version of a Knative Service. */
export const KNATIVE_SERVING_API_VERSION = "serving.knative.dev/v1";
/** The field manager of every server-side apply the backend makes. */
export const FIELD_MANAGER = "blender-on-demand";
/** Label on every worker Service and its pods (NetworkPolicies and the informer select on it). */
export const WORKER_COMPONENT_LABEL = "app.kubernetes.io/component";
/** Label naming the project a worker Service serves. */
export const PROJECT_LABEL = "blender-on-demand/project";
/** Annotation holding when the project last used its Service (ISO 8601): the idle sweeper reads it. */
export const LAST_USED_ANNOTATION = "blender-on-demand/last-used-at";
/** The label selector of every worker Service this product manages. */
export const WORKER_SELECTOR = "app.kubernetes.io/managed-by=blender-on-demand,app.kubernetes.io/component=worker";
/** The port the worker listens on inside its container (Knative's default). */
export const WORKER_CONTAINER_PORT = 8080;
/** Where the worker keeps its scratch files inside the container (the scene lives in the shared stores). */
export const WORKER_DATA_DIR = "/tmp/bod-project";

/** CPU and memory quantities in Kubernetes notation ("500m", "1Gi"). */
export interface WorkerResources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

/** How the cluster runs workers. Every field has a default (WORKER_SERVICE_DEFAULTS) except `namespace`. */
export interface WorkerServiceSettings {
  /** The namespace the Services live in. */
  namespace: string;
  /** The worker image. Default `localhost/blender-on-demand/worker:dev`. */
  image: string;
  /**
   * Seconds without requests before the worker scales to zero: the KPA's stable window
   * (`autoscaling.knative.dev/window`, 6 to 3600). Default 60.
   */
  idleWindowSeconds: number;
  /**
   * Requests one worker takes at once (`containerConcurrency`). Above 1 so that an open MCP GET
   * stream never blocks a tool call; the worker itself runs one Blender command at a time.
   * Default 10.
   */
  containerConcurrency: number;
  /**
   * Most seconds one request may take to start answering, and the ingress's route timeout
   * (`timeoutSeconds`). Must not exceed the cluster's `max-revision-timeout-seconds`
   * (config-defaults; the manifests set 1800). Default 900: a 10-minute render streams progress
   * and fits with margin.
   */
  timeoutSeconds: number;
  /**
   * Seconds the queue-proxy waits for the first byte of a response (`responseStartTimeoutSeconds`).
   * The worker answers tool calls that report progress with an event stream whose headers leave
   * at once; a call without progress answers when done. Default 900 (as timeoutSeconds).
   */
  responseStartTimeoutSeconds: number;
  /**
   * Seconds a response may stay silent once started (`idleTimeoutSeconds`). 0 leaves it unset:
   * an MCP GET stream is quiet by design. Default 0.
   */
  idleTimeoutSeconds: number;
  /** RuntimeClass for the pod (e.g. "kata"); Knative needs its `kubernetes.podspec-runtimeclassname` feature on. Default none. */
  runtimeClassName?: string | undefined;
  /**
   * Offer run_script (`BOD_ALLOW_SCRIPTS=1`). Needs `runtimeClassName`, which the operator names
   * for a microVM runtime (Kata, Firecracker): the worker is then told it is isolated
   * (`BOD_WORKER_ISOLATION=microvm`), and its container runs without a seccomp profile so that the
   * worker can build the scripts' nested bubblewrap sandbox (user namespaces) inside the VM, whose
   * own kernel is the boundary. Default false.
   */
  allowScripts?: boolean | undefined;
  /** CPU and memory; default requests 500m / 1Gi, limits 2 / 4Gi. */
  resources: WorkerResources;
  /** `postgres://USER@HOST:PORT/DB` of the scene journal (no password: it comes from the Secret). */
  stateUrl?: string | undefined;
  /** `s3://BUCKET[/PREFIX]?endpoint=...` of artifacts and scene snapshots (no keys: they come from the Secret). */
  artifactUrl?: string | undefined;
  /**
   * The Secret whose keys become the worker's environment (envFrom): PGPASSWORD,
   * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION. Default `blender-on-demand-storage`.
   */
  storageSecretName: string;
  /** The worker's log level (BOD_LOG_LEVEL). Default "info". */
  logLevel: string;
  /** The cluster's DNS suffix. Default `cluster.local`. */
  clusterDomain: string;
}

/** Defaults of everything but the namespace. */
export const WORKER_SERVICE_DEFAULTS: Omit<WorkerServiceSettings, "namespace"> = {
  image: "localhost/blender-on-demand/worker:dev",
  idleWindowSeconds: 60,
  containerConcurrency: 10,
  timeoutSeconds: 900,
  responseStartTimeoutSeconds: 900,
  idleTimeoutSeconds: 0,
  resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2", memory: "4Gi" } },
  storageSecretName: "blender-on-demand-storage",
  logLevel: "info",
  clusterDomain: "cluster.local",
};

/** A Knative Service as this product writes it (the fields it sets; a server adds the rest). */
export interface KnativeService {
  apiVersion: typeof KNATIVE_SERVING_API_VERSION;
  kind: "Service";
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  spec: {
    template: {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      spec: {
        containerConcurrency: number;
        timeoutSeconds: number;
        responseStartTimeoutSeconds: number;
        idleTimeoutSeconds?: number;
        enableServiceLinks: false;
        runtimeClassName?: string;
        containers: Array<{
          name: string;
          image: string;
          args: string[];
          ports: Array<{ name: string; containerPort: number }>;
          env: Array<{ name: string; value: string }>;
          envFrom: Array<{ secretRef: { name: string; optional: boolean } }>;
          readinessProbe: { httpGet: { path: string; port: number }; periodSeconds: number; failureThreshold: number };
          resources: WorkerResources;
          securityContext: { allowPrivilegeEscalation: false; capabilities: { drop: string[] }; seccompProfile: { type: string } };
        }>;
      };
    };
  };
}

const MAX_SLUG = 40;

/**
 * The Service name of a project: `bod-<slug>-<8 hex of sha256(id)>`, a DNS-1035 label of at most
 * 53 characters (room for Knative's `-00001` revision suffix within 63). The slug is the id cut
 * to 40 characters; the hash keeps ids that share those 40 apart.
 */
export function workerServiceName(projectId: string): string {
  assertProjectIdForService(projectId);
  const hash = createHash("sha256").update(projectId).digest("hex").slice(0, 8);
  const slug = projectId.slice(0, MAX_SLUG).replace(/-+$/, "");
  return `bod-${slug}-${hash}`;
}

/** The Service's cluster-local address: `http://<name>.<namespace>.svc.<domain>`. */
export function workerServiceUrl(projectId: string, namespace: string, clusterDomain = "cluster.local"): string {
  return `http://${workerServiceName(projectId)}.${namespace}.svc.${clusterDomain}`;
}

/** Throws with the rule when `namespace` is not a DNS label (what Kubernetes accepts). */
export function assertNamespace(namespace: string): void {
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(namespace))
    throw new RangeError(
      `Namespace "${namespace}" is not a DNS label: 1 to 63 of a-z, 0-9 and -, starting and ending with a letter or digit.`,
    );
}

function assertProjectIdForService(projectId: string): void {
  if (!PROJECT_ID_PATTERN.test(projectId))
    throw new RangeError(
      `Project id "${projectId}" is not valid: 1 to 63 of a-z, 0-9 and single hyphens, starting and ending with a letter or digit.`,
    );
}

/** Checks settings a cluster would refuse or that would break renders; the message says what is allowed. */
export function validateWorkerServiceSettings(settings: WorkerServiceSettings): void {
  assertNamespace(settings.namespace);
  const inRange = (name: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max)
      throw new RangeError(`${name} must be a whole number from ${min} to ${max}; got ${value}.`);
  };
  inRange("idleWindowSeconds", settings.idleWindowSeconds, 6, 3600);
  inRange("containerConcurrency", settings.containerConcurrency, 2, 1000);
  inRange("timeoutSeconds", settings.timeoutSeconds, 1, 86_400);
  inRange("responseStartTimeoutSeconds", settings.responseStartTimeoutSeconds, 1, settings.timeoutSeconds);
  inRange("idleTimeoutSeconds", settings.idleTimeoutSeconds, 0, settings.timeoutSeconds);
  if (!settings.image.trim()) throw new RangeError("image must name a container image.");
  if (settings.runtimeClassName !== undefined && !/^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/.test(settings.runtimeClassName))
    throw new RangeError(`runtimeClassName "${settings.runtimeClassName}" is not a DNS subdomain name.`);
  if (settings.allowScripts && !settings.runtimeClassName)
    throw new RangeError("allowScripts needs runtimeClassName: a microVM runtime class (such as kata) that isolates each worker.");
  for (const [name, url] of [
    ["stateUrl", settings.stateUrl],
    ["artifactUrl", settings.artifactUrl],
  ] as const) {
    if (url === undefined) continue;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new RangeError(`${name} is not a URL.`);
    }
    if (parsed.password)
      throw new RangeError(`${name} must not carry a password: the worker reads it from the Secret ${settings.storageSecretName}.`);
  }
}

/**
 * The Knative Service that runs `projectId`'s worker. `lastUsedAt` becomes the last-used
 * annotation the idle sweeper reads. Throws RangeError on an invalid id or settings.
 */
export function buildWorkerService(projectId: string, settings: WorkerServiceSettings, lastUsedAt: Date = new Date()): KnativeService {
  validateWorkerServiceSettings(settings);
  const name = workerServiceName(projectId);
  const host = `${name}.${settings.namespace}.svc.${settings.clusterDomain}`;
  const labels = {
    "app.kubernetes.io/name": "blender-on-demand-worker",
    "app.kubernetes.io/part-of": "blender-on-demand",
    "app.kubernetes.io/managed-by": "blender-on-demand",
    [WORKER_COMPONENT_LABEL]: "worker",
    [PROJECT_LABEL]: projectId,
  };
  const env = [
    { name: "BOD_LOG_LEVEL", value: settings.logLevel },
    ...(settings.stateUrl ? [{ name: "BOD_STATE_URL", value: settings.stateUrl }] : []),
    ...(settings.artifactUrl ? [{ name: "BOD_ARTIFACT_URL", value: settings.artifactUrl }] : []),
    ...(settings.allowScripts
      ? [
          { name: "BOD_ALLOW_SCRIPTS", value: "1" },
          { name: "BOD_WORKER_ISOLATION", value: "microvm" },
        ]
      : []),
  ];
  const templateSpec: KnativeService["spec"]["template"]["spec"] = {
    containerConcurrency: settings.containerConcurrency,
    timeoutSeconds: settings.timeoutSeconds,
    responseStartTimeoutSeconds: settings.responseStartTimeoutSeconds,
    ...(settings.idleTimeoutSeconds > 0 ? { idleTimeoutSeconds: settings.idleTimeoutSeconds } : {}),
    enableServiceLinks: false,
    ...(settings.runtimeClassName ? { runtimeClassName: settings.runtimeClassName } : {}),
    containers: [
      {
        name: "worker",
        image: settings.image,
        // The image's entrypoint is `bod`.
        args: [
          "worker",
          "--host",
          "0.0.0.0",
          "--port",
          String(WORKER_CONTAINER_PORT),
          "--data-dir",
          WORKER_DATA_DIR,
          "--project-id",
          projectId,
          "--public-url",
          `http://${host}`,
          // The DNS-rebinding guard answers only these Host names (and loopback, for the probe).
          "--allowed-host",
          host,
          `${name}.${settings.namespace}.svc`,
          `${name}.${settings.namespace}`,
          name,
        ],
        ports: [{ name: "http1", containerPort: WORKER_CONTAINER_PORT }],
        env,
        // Credentials only ever come from the Secret, never inline in the Service.
        envFrom: [{ secretRef: { name: settings.storageSecretName, optional: false } }],
        readinessProbe: { httpGet: { path: "/healthz", port: WORKER_CONTAINER_PORT }, periodSeconds: 1, failureThreshold: 3 },
        resources: settings.resources,
        securityContext: {
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
          // The runtime's default profile forbids the user namespaces of the scripts' sandbox; the VM's kernel holds them.
          seccompProfile: { type: settings.allowScripts ? "Unconfined" : "RuntimeDefault" },
        },
      },
    ],
  };
  return {
    apiVersion: KNATIVE_SERVING_API_VERSION,
    kind: "Service",
    metadata: {
      name,
      namespace: settings.namespace,
      labels: { ...labels, "networking.knative.dev/visibility": "cluster-local" },
      annotations: { [LAST_USED_ANNOTATION]: lastUsedAt.toISOString() },
    },
    spec: {
      template: {
        metadata: {
          labels,
          annotations: {
            "autoscaling.knative.dev/class": "kpa.autoscaling.knative.dev",
            "autoscaling.knative.dev/min-scale": "0",
            "autoscaling.knative.dev/max-scale": "1",
            "autoscaling.knative.dev/window": `${settings.idleWindowSeconds}s`,
          },
        },
        spec: templateSpec,
      },
    },
  };
}
