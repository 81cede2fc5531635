// Everything an operator applies to run blender-on-demand on Kubernetes with Knative Serving, as
// typed objects: the namespaces, the gateway's service account and the one Role it needs in the
// workers' namespace, the gateway's ConfigMap, Deployment, PodDisruptionBudget and Service, the
// Knative settings the workers rely on, an optional RuntimeClass, and the NetworkPolicies that
// fence the workers in. Pure: `bod deploy manifests` prints the result, the tests inspect it and
// the offline validator (deploy/validate) checks the printed YAML. Secrets are only referenced,
// never written: their values never pass through this code.
import { WORKER_SELECTOR, type WorkerServiceSettings } from "@bod/runtime-knative/worker-service";
import {
  dumpYaml,
  type KubernetesObject,
  type V1ConfigMap,
  type V1DaemonSet,
  type V1Deployment,
  type V1EnvVar,
  type V1Namespace,
  type V1NetworkPolicy,
  type V1NetworkPolicyPeer,
  type V1NetworkPolicyPort,
  type V1PodDisruptionBudget,
  type V1Role,
  type V1RoleBinding,
  type V1RuntimeClass,
  type V1Service,
  type V1ServiceAccount,
} from "@kubernetes/client-node";

/** The namespace Knative Serving runs in (its ConfigMaps, activator and autoscaler). */
export const KNATIVE_SERVING_NAMESPACE = "knative-serving";
/** The gateway's objects (ServiceAccount, Role, ConfigMap, Deployment, Service) share this name. */
export const GATEWAY_NAME = "blender-on-demand-gateway";
/** The port the gateway listens on inside its pod. */
export const GATEWAY_CONTAINER_PORT = 8080;
/** Knative's max-revision-timeout-seconds the manifests set, unless a worker request timeout needs more. */
export const MAX_REVISION_TIMEOUT_SECONDS = 1800;
/** The Secret keys each storage Secret must hold (in the gateway's and the workers' namespace). */
export const STORAGE_SECRET_KEYS = ["PGPASSWORD", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] as const;
/** The Secret key of the LLM's API key. */
export const LLM_SECRET_KEY = "BOD_LLM_API_KEY";
/**
 * The queue-proxy ports Knative's data path reaches a worker pod on: 8012 (HTTP/1), 8013 (h2c)
 * and 8112 (HTTPS, with Knative's system-internal TLS). The worker's own port (8080) is only ever
 * reached by the queue-proxy inside the pod.
 */
export const QUEUE_PROXY_PORTS = [8012, 8013, 8112] as const;
/** The queue-proxy port Knative's autoscaler scrapes for request statistics. */
export const QUEUE_PROXY_METRICS_PORT = 9090;

/** A destination workers may open connections to: addresses (CIDRs) and one TCP port. */
export interface EgressTarget {
  /** IPv4 or IPv6 CIDRs, e.g. "10.0.12.5/32"; "0.0.0.0/0" allows any address on the port. */
  cidrs: string[];
  /** TCP port, 1 to 65535. */
  port: number;
}

/** Everything the manifests depend on; `ManifestsFlags` (manifests-flags.ts) builds it from the command line. */
export interface ManifestsSettings {
  /** The gateway's namespace. Default `blender-on-demand`. */
  namespace: string;
  /**
   * How each project's Knative Service is built; `namespace` is the workers' namespace (default
   * `<namespace>-workers`). The gateway gets these as its flags, so it builds exactly these Services.
   */
  worker: WorkerServiceSettings;
  /** The gateway image, e.g. `registry.example.com/blender-on-demand/gateway:1.0`. */
  gatewayImage: string;
  /** Gateway replicas. Default 2. */
  replicas: number;
  /** The container runtime handler of the RuntimeClass named `worker.runtimeClassName`. Default: that name. */
  runtimeClassHandler?: string | undefined;
  /**
   * Whether to print the RuntimeClass `worker.runtimeClassName` names; false when it exists
   * already (kata-deploy's kata-qemu, kata-clh, ...). Default true.
   */
  runtimeClassObject: boolean;
  /** Whether to print a DaemonSet that keeps the worker image on every node (no pull on a cold start). Default false. */
  prepull: boolean;
  /** `postgres://USER@HOST:PORT/DB` of the State and the scene journal (the password comes from the Secret). */
  stateUrl: string;
  /** `s3://BUCKET[/PREFIX]?endpoint=...` of artifacts and scene snapshots (the keys come from the Secret). */
  artifactUrl: string;
  /** BOD_LLM_PROVIDER, BOD_LLM_MODEL and BOD_LLM_BASE_URL; no provider means the offline planner. */
  llm: { provider?: string | undefined; model?: string | undefined; baseUrl?: string | undefined };
  /** The Secret holding BOD_LLM_API_KEY in the gateway's namespace (optional: the key may be absent). Default `blender-on-demand-llm`. */
  llmSecretName: string;
  /** Where workers may connect besides DNS: PostgreSQL and S3. */
  egress: { postgres: EgressTarget; s3: EgressTarget };
  /**
   * The namespace of the networking layer's gateways (Kourier: `kourier-system`; Istio:
   * `istio-system`), which forward cluster-local requests to worker pods. Default `kourier-system`.
   */
  ingressNamespace: string;
  /**
   * Whether Knative should use image tags as they are instead of resolving them to digests
   * (config-deployment `registries-skipping-tag-resolving`): needed for images Knative's controller
   * cannot pull, such as `localhost/...` images loaded straight into the nodes.
   */
  skipTagResolution: boolean;
}

/** One printed document: a Kubernetes object and the comment lines that say why it is there. */
export interface ManifestDocument {
  comment: string[];
  object: KubernetesObject;
}

const PART_OF = { "app.kubernetes.io/part-of": "blender-on-demand" };
const GATEWAY_LABELS = { "app.kubernetes.io/name": GATEWAY_NAME, "app.kubernetes.io/component": "gateway", ...PART_OF };
const GATEWAY_SELECTOR = { "app.kubernetes.io/name": GATEWAY_NAME };
/** Where the gateway keeps its scratch files (an emptyDir: everything durable is in PostgreSQL and S3). */
const GATEWAY_DATA_DIR = "/var/lib/blender-on-demand";
/** The label kata-deploy puts on the nodes it installed Kata on. */
const KATA_NODES = { "katacontainers.io/kata-runtime": "true" };
/** The gateway image's user and group (deploy/images/gateway.Containerfile). */
const GATEWAY_UID = 10001;

/** The labels that pick worker pods, from the selector the Knative backend lists its Services with. */
export function workerPodLabels(): Record<string, string> {
  return Object.fromEntries(WORKER_SELECTOR.split(",").map((pair) => pair.split("=") as [string, string]));
}

/**
 * The gateway's worker-Service flags, each read from the ConfigMap through an environment variable
 * (Kubernetes expands `$(NAME)` in args), so that the ConfigMap is the one place to change them.
 */
export function gatewayWorkerSettings(worker: WorkerServiceSettings): Array<{ flag: string; variable: string; value: string }> {
  const settings = [
    { flag: "--worker-image", variable: "BOD_WORKER_IMAGE", value: worker.image },
    { flag: "--idle-window", variable: "BOD_IDLE_WINDOW", value: String(worker.idleWindowSeconds) },
    { flag: "--container-concurrency", variable: "BOD_CONTAINER_CONCURRENCY", value: String(worker.containerConcurrency) },
    { flag: "--request-timeout", variable: "BOD_REQUEST_TIMEOUT", value: String(worker.timeoutSeconds) },
    { flag: "--response-start-timeout", variable: "BOD_RESPONSE_START_TIMEOUT", value: String(worker.responseStartTimeoutSeconds) },
    { flag: "--stream-idle-timeout", variable: "BOD_STREAM_IDLE_TIMEOUT", value: String(worker.idleTimeoutSeconds) },
    { flag: "--worker-cpu-request", variable: "BOD_WORKER_CPU_REQUEST", value: worker.resources.requests.cpu },
    { flag: "--worker-memory-request", variable: "BOD_WORKER_MEMORY_REQUEST", value: worker.resources.requests.memory },
    { flag: "--worker-cpu-limit", variable: "BOD_WORKER_CPU_LIMIT", value: worker.resources.limits.cpu },
    { flag: "--worker-memory-limit", variable: "BOD_WORKER_MEMORY_LIMIT", value: worker.resources.limits.memory },
    { flag: "--storage-secret", variable: "BOD_STORAGE_SECRET", value: worker.storageSecretName },
    { flag: "--worker-log-level", variable: "BOD_WORKER_LOG_LEVEL", value: worker.logLevel },
    { flag: "--cluster-domain", variable: "BOD_CLUSTER_DOMAIN", value: worker.clusterDomain },
  ];
  if (worker.runtimeClassName) settings.push({ flag: "--runtime-class", variable: "BOD_RUNTIME_CLASS", value: worker.runtimeClassName });
  return settings;
}

/** The `kubectl create secret` commands that create the Secrets the manifests reference (values left for the operator). */
export function secretCommands(settings: ManifestsSettings): string[] {
  const storage = (namespace: string) =>
    `kubectl -n ${namespace} create secret generic ${settings.worker.storageSecretName} ` +
    `--from-literal=PGPASSWORD=... --from-literal=AWS_ACCESS_KEY_ID=... --from-literal=AWS_SECRET_ACCESS_KEY=...`;
  return [
    storage(settings.namespace),
    storage(settings.worker.namespace),
    `kubectl -n ${settings.namespace} create secret generic ${settings.llmSecretName} --from-literal=${LLM_SECRET_KEY}=...`,
  ];
}

/** Every object, in the order `kubectl apply -f` should create them (namespaces first). */
export function buildManifests(settings: ManifestsSettings): ManifestDocument[] {
  const { namespace } = settings;
  const workersNamespace = settings.worker.namespace;
  if (namespace === workersNamespace)
    throw new RangeError(
      `The workers' namespace must differ from the gateway's ("${namespace}"): the workers' NetworkPolicies deny everything the gateway needs.`,
    );
  const documents: ManifestDocument[] = [
    ...namespaces(settings),
    ...gatewayAccess(settings),
    gatewayConfigMap(settings),
    gatewayDeployment(settings),
    gatewayDisruptionBudget(settings),
    gatewayService(settings),
    ...knativeConfig(settings),
  ];
  const runtimeClass = runtimeClassOf(settings);
  if (runtimeClass) documents.push(runtimeClass);
  if (settings.prepull) documents.push(workerImagePrepull(settings));
  documents.push(...workerNetworkPolicies(settings));
  return documents;
}

function namespaces(settings: ManifestsSettings): ManifestDocument[] {
  const gateway: V1Namespace = {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: settings.namespace,
      labels: {
        ...PART_OF,
        // The gateway's pod passes the restricted Pod Security Standard.
        "pod-security.kubernetes.io/enforce": "restricted",
      },
    },
  };
  const workers: V1Namespace = {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: settings.worker.namespace,
      labels: {
        ...PART_OF,
        // Baseline is enforced; restricted would also need runAsNonRoot on the worker container.
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/warn": "restricted",
      },
    },
  };
  return [
    { comment: ["The gateway's namespace: web UI, API, agent."], object: gateway },
    { comment: ["The workers' namespace: one Knative Service per active project, created by the gateway."], object: workers },
  ];
}

function gatewayAccess(settings: ManifestsSettings): ManifestDocument[] {
  const workersNamespace = settings.worker.namespace;
  const account: V1ServiceAccount = {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: GATEWAY_NAME, namespace: settings.namespace, labels: GATEWAY_LABELS },
  };
  const workerAccount: V1ServiceAccount = {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: "default", namespace: workersNamespace, labels: PART_OF },
    automountServiceAccountToken: false,
  };
  const role: V1Role = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: GATEWAY_NAME, namespace: workersNamespace, labels: GATEWAY_LABELS },
    rules: [
      {
        // Server-side apply (patch, and create when the Service is new), reading them (get, and
        // list and watch for the informer), deletion with the project or after days unused.
        apiGroups: ["serving.knative.dev"],
        resources: ["services"],
        verbs: ["get", "list", "watch", "create", "patch", "delete"],
      },
      {
        // The second informer: which revision of a Service is ready.
        apiGroups: ["serving.knative.dev"],
        resources: ["revisions"],
        verbs: ["list", "watch"],
      },
    ],
  };
  const binding: V1RoleBinding = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: GATEWAY_NAME, namespace: workersNamespace, labels: GATEWAY_LABELS },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: GATEWAY_NAME },
    subjects: [{ kind: "ServiceAccount", name: GATEWAY_NAME, namespace: settings.namespace }],
  };
  return [
    { comment: ["The gateway's identity towards the Kubernetes API."], object: account },
    {
      comment: ["Worker pods run as the workers' namespace's default account: they never call the Kubernetes API, so they get no token."],
      object: workerAccount,
    },
    {
      comment: [
        "All the gateway may do in the cluster: manage Knative Services and read their Revisions,",
        `in the workers' namespace (${workersNamespace}) only. Nothing in its own namespace, nothing cluster-wide.`,
      ],
      object: role,
    },
    { comment: [], object: binding },
  ];
}

function gatewayConfigMap(settings: ManifestsSettings): ManifestDocument {
  const data: Record<string, string> = {
    BOD_STATE_URL: settings.stateUrl,
    BOD_ARTIFACT_URL: settings.artifactUrl,
    BOD_LLM_PROVIDER: settings.llm.provider ?? "",
    BOD_LLM_MODEL: settings.llm.model ?? "",
    BOD_LLM_BASE_URL: settings.llm.baseUrl ?? "",
    BOD_LOG_LEVEL: "info",
    BOD_KUBE_NAMESPACE: settings.worker.namespace,
  };
  for (const { variable, value } of gatewayWorkerSettings(settings.worker)) data[variable] = value;
  const configMap: V1ConfigMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: GATEWAY_NAME, namespace: settings.namespace, labels: GATEWAY_LABELS },
    data,
  };
  return {
    comment: [
      "The gateway's settings: where the stores are (no credentials), the LLM (empty BOD_LLM_PROVIDER: the",
      "offline planner), and how each project's Knative Service is built. After editing:",
      `kubectl -n ${settings.namespace} rollout restart deployment/${GATEWAY_NAME}`,
    ],
    object: configMap,
  };
}

function secretEnv(name: string, secret: string, optional: boolean): V1EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secret, key: name, optional } } };
}

function gatewayDeployment(settings: ManifestsSettings): ManifestDocument {
  const storageSecret = settings.worker.storageSecretName;
  const args = [
    "gateway",
    "--host",
    "0.0.0.0",
    "--port",
    String(GATEWAY_CONTAINER_PORT),
    "--data-dir",
    GATEWAY_DATA_DIR,
    "--runtime",
    "knative",
    "--kube-namespace",
    "$(BOD_KUBE_NAMESPACE)",
    ...gatewayWorkerSettings(settings.worker).flatMap(({ flag, variable }) => [flag, `$(${variable})`]),
  ];
  const deployment: V1Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: GATEWAY_NAME, namespace: settings.namespace, labels: GATEWAY_LABELS },
    spec: {
      replicas: settings.replicas,
      selector: { matchLabels: GATEWAY_SELECTOR },
      // A new replica is ready before an old one goes: the gateway never drops to fewer replicas.
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: GATEWAY_LABELS },
        spec: {
          serviceAccountName: GATEWAY_NAME,
          enableServiceLinks: false,
          // A turn streams for up to a few minutes; give it time to finish on shutdown.
          terminationGracePeriodSeconds: 120,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: GATEWAY_UID,
            runAsGroup: GATEWAY_UID,
            fsGroup: GATEWAY_UID,
            seccompProfile: { type: "RuntimeDefault" },
          },
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: "kubernetes.io/hostname",
              whenUnsatisfiable: "ScheduleAnyway",
              labelSelector: { matchLabels: GATEWAY_SELECTOR },
            },
          ],
          containers: [
            {
              name: "gateway",
              image: settings.gatewayImage,
              args,
              ports: [{ name: "http", containerPort: GATEWAY_CONTAINER_PORT, protocol: "TCP" }],
              envFrom: [{ configMapRef: { name: GATEWAY_NAME } }],
              env: [
                ...STORAGE_SECRET_KEYS.map((key) => secretEnv(key, storageSecret, false)),
                secretEnv("AWS_REGION", storageSecret, true),
                // Absent with the offline planner.
                secretEnv(LLM_SECRET_KEY, settings.llmSecretName, true),
              ],
              readinessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 5, failureThreshold: 3 },
              livenessProbe: {
                httpGet: { path: "/healthz", port: "http" },
                initialDelaySeconds: 30,
                periodSeconds: 10,
                failureThreshold: 6,
              },
              resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "1Gi" } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
              // The root filesystem is read-only (the image's compile cache is read from it);
              // the gateway writes only its data dir and temporary files.
              volumeMounts: [
                { name: "data", mountPath: GATEWAY_DATA_DIR },
                { name: "tmp", mountPath: "/tmp" },
              ],
            },
          ],
          volumes: [
            { name: "data", emptyDir: { sizeLimit: "1Gi" } },
            { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
          ],
        },
      },
    },
  };
  return {
    comment: [
      `The gateway: web UI, API and agent; it creates each project's Knative Service in ${settings.worker.namespace}.`,
      "Credentials come from Secrets created beforehand (see the commands at the top).",
    ],
    object: deployment,
  };
}

function gatewayDisruptionBudget(settings: ManifestsSettings): ManifestDocument {
  const budget: V1PodDisruptionBudget = {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: GATEWAY_NAME, namespace: settings.namespace, labels: GATEWAY_LABELS },
    spec: { maxUnavailable: 1, selector: { matchLabels: GATEWAY_SELECTOR } },
  };
  return { comment: ["Node drains take the gateway's replicas down one at a time."], object: budget };
}

function gatewayService(settings: ManifestsSettings): ManifestDocument {
  const service: V1Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: GATEWAY_NAME, namespace: settings.namespace, labels: GATEWAY_LABELS },
    spec: {
      type: "ClusterIP",
      selector: GATEWAY_SELECTOR,
      ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
    },
  };
  return {
    comment: ["The gateway's address in the cluster. Expose it with your Ingress or Gateway API route, or a LoadBalancer."],
    object: service,
  };
}

function knativeConfig(settings: ManifestsSettings): ManifestDocument[] {
  const configMap = (name: string, data: Record<string, string>): V1ConfigMap => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: KNATIVE_SERVING_NAMESPACE },
    data,
  });
  const maxRevisionTimeout = Math.max(MAX_REVISION_TIMEOUT_SECONDS, settings.worker.timeoutSeconds);
  const documents: ManifestDocument[] = [
    {
      comment: [
        "Knative Serving settings blender-on-demand relies on. `kubectl apply` merges these keys into the",
        "ConfigMaps Knative installed and leaves their other keys alone. With the Knative Operator, set",
        "them in the KnativeServing resource's spec.config instead (the operator reverts direct edits).",
        "",
        "A project's first request may create its Service with no pod yet (initial-scale 0).",
      ],
      object: configMap("config-autoscaler", { "allow-zero-initial-scale": "true" }),
    },
    {
      comment: [
        `Renders stream for up to ${settings.worker.timeoutSeconds} s (the workers' timeoutSeconds); Knative refuses a`,
        "timeoutSeconds above max-revision-timeout-seconds. Raise the activator's terminationGracePeriodSeconds",
        "to match, so that a draining activator does not cut such requests.",
      ],
      object: configMap("config-defaults", { "max-revision-timeout-seconds": String(maxRevisionTimeout) }),
    },
    {
      comment: ["Lets a Knative Service name a RuntimeClass (workers in Kata VMs with --runtime-class)."],
      object: configMap("config-features", { "kubernetes.podspec-runtimeclassname": "enabled" }),
    },
  ];
  if (settings.skipTagResolution)
    documents.push({
      comment: [
        "Images from localhost/... (loaded straight into the nodes) cannot be resolved to a digest by",
        "Knative's controller; with a real registry, leave this out and Knative pins each revision's digest.",
      ],
      object: configMap("config-deployment", { "registries-skipping-tag-resolving": "kind.local,ko.local,dev.local,localhost" }),
    });
  return documents;
}

function runtimeClassOf(settings: ManifestsSettings): ManifestDocument | undefined {
  const name = settings.worker.runtimeClassName;
  if (!name || !settings.runtimeClassObject) return undefined;
  const runtimeClass: V1RuntimeClass = {
    apiVersion: "node.k8s.io/v1",
    kind: "RuntimeClass",
    metadata: { name, labels: PART_OF },
    handler: settings.runtimeClassHandler ?? name,
    // What a Kata VM costs beyond its containers' requests, so the scheduler counts it.
    overhead: { podFixed: { cpu: "250m", memory: "160Mi" } },
    scheduling: { nodeSelector: KATA_NODES },
  };
  return {
    comment: [
      `Workers run in Kata Containers VMs: the RuntimeClass "${name}" for the containerd handler "${runtimeClass.handler}".`,
      "kata-deploy creates RuntimeClasses of its own (kata-qemu, kata-clh, ...): skip this object and pass",
      "--runtime-class with one of those if you prefer. Pods need nodes with hardware virtualisation.",
    ],
    object: runtimeClass,
  };
}

function workerImagePrepull(settings: ManifestsSettings): ManifestDocument {
  const name = "blender-on-demand-worker-prepull";
  const labels = { "app.kubernetes.io/name": name, ...PART_OF };
  const daemonSet: V1DaemonSet = {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name, namespace: settings.worker.namespace, labels },
    spec: {
      selector: { matchLabels: { "app.kubernetes.io/name": name } },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 1,
          // Only the nodes workers can run on, when they run in Kata VMs.
          ...(settings.worker.runtimeClassName && settings.runtimeClassObject ? { nodeSelector: KATA_NODES } : {}),
          securityContext: {
            runAsNonRoot: true,
            runAsUser: GATEWAY_UID,
            runAsGroup: GATEWAY_UID,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [
            {
              name: "prepull",
              image: settings.worker.image,
              // The image only has to stay on the node: a kubelet does not collect an image in use.
              command: ["sleep", "infinity"],
              resources: { requests: { cpu: "1m", memory: "8Mi" }, limits: { cpu: "10m", memory: "32Mi" } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            },
          ],
        },
      },
    },
  };
  return {
    comment: [
      "Keeps the worker image on every node, so that a project's cold start never waits for a pull of",
      "about a gigabyte. Costs one sleeping process per node.",
    ],
    object: daemonSet,
  };
}

function workerNetworkPolicies(settings: ManifestsSettings): ManifestDocument[] {
  const workersNamespace = settings.worker.namespace;
  const workers = { matchLabels: workerPodLabels() };
  const namespaceNamed = (name: string) => ({ matchLabels: { "kubernetes.io/metadata.name": name } });
  const tcp = (...ports: number[]): V1NetworkPolicyPort[] => ports.map((port) => ({ protocol: "TCP", port }));
  const denyAll: V1NetworkPolicy = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "default-deny", namespace: workersNamespace, labels: PART_OF },
    spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
  };
  const activatorPeer: V1NetworkPolicyPeer = {
    namespaceSelector: namespaceNamed(KNATIVE_SERVING_NAMESPACE),
    podSelector: { matchLabels: { app: "activator" } },
  };
  // client-node names the `from` field `_from` (`from` is a keyword in its generator); dumpYaml
  // writes it as `from`, and drops any field it does not know.
  const ingress: V1NetworkPolicy = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "workers-ingress", namespace: workersNamespace, labels: PART_OF },
    spec: {
      podSelector: workers,
      policyTypes: ["Ingress"],
      ingress: [
        { _from: [activatorPeer, { namespaceSelector: namespaceNamed(settings.ingressNamespace) }], ports: tcp(...QUEUE_PROXY_PORTS) },
        {
          _from: [{ namespaceSelector: namespaceNamed(settings.namespace), podSelector: { matchLabels: GATEWAY_SELECTOR } }],
          ports: tcp(...QUEUE_PROXY_PORTS),
        },
        {
          _from: [{ namespaceSelector: namespaceNamed(KNATIVE_SERVING_NAMESPACE), podSelector: { matchLabels: { app: "autoscaler" } } }],
          ports: tcp(QUEUE_PROXY_METRICS_PORT),
        },
      ],
    },
  };
  const egressTo = (target: EgressTarget) => ({ to: target.cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: tcp(target.port) });
  const egress: V1NetworkPolicy = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "workers-egress", namespace: workersNamespace, labels: PART_OF },
    spec: {
      podSelector: workers,
      policyTypes: ["Egress"],
      egress: [
        {
          to: [{ namespaceSelector: namespaceNamed("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
        egressTo(settings.egress.postgres),
        egressTo(settings.egress.s3),
      ],
    },
  };
  const anyAddress = (target: EgressTarget) => target.cidrs.some((cidr) => cidr === "0.0.0.0/0" || cidr === "::/0");
  return [
    {
      comment: [
        `Nothing reaches or leaves a pod in ${workersNamespace} unless a policy below allows it`,
        "(only enforced where the cluster's network plugin implements NetworkPolicy).",
      ],
      object: denyAll,
    },
    {
      comment: [
        "Who reaches a worker. The gateway calls a project's cluster-local URL; Knative routes that through",
        `the networking layer's gateway (${settings.ingressNamespace}) and, while the worker scales from zero or is`,
        "busy, through the activator, so those are the peers worker pods see; the gateway's own pods are",
        "allowed for networking layers that route from the caller. The autoscaler scrapes port 9090.",
        "The networking layer forwards cluster-local requests from any pod that can reach it: restrict its",
        "cluster-local listener to the gateway's namespace to make the gateway the only caller (docs/deploy.md).",
      ],
      object: ingress,
    },
    {
      comment: [
        `Where a worker may connect: DNS, PostgreSQL (TCP ${settings.egress.postgres.port}) and S3 (TCP ${settings.egress.s3.port}).`,
        ...(anyAddress(settings.egress.postgres) || anyAddress(settings.egress.s3)
          ? ["Any address is allowed on those ports: narrow it with --postgres-cidr and --s3-cidr."]
          : []),
      ],
      object: egress,
    },
  ];
}

/**
 * The documents as one multi-document YAML stream for `kubectl apply -f -`, each after its
 * comment lines; `header` lines open the stream as comments.
 */
export function renderManifests(documents: ManifestDocument[], header: string[] = []): string {
  const comment = (lines: string[]) => lines.map((line) => (line ? `# ${line}\n` : "#\n")).join("");
  const parts = documents.map(({ comment: lines, object }) => `---\n${comment(lines)}${dumpYaml(object)}`);
  return `${comment(header)}${parts.join("")}`;
}
