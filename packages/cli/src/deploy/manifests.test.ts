// The deploy manifests as objects: every object an operator needs is there and named validly, the
// gateway may do no more than its Knative backend needs, no secret value ever reaches the output,
// the gateway's flags rebuild exactly the worker settings, and the NetworkPolicies select the pods
// the worker Services really make. (The e2e test runs the printed YAML through Knative's own
// validation.)
import { reasonerConfigFromEnv } from "@bod/agent";
import { buildWorkerService } from "@bod/runtime-knative/worker-service";
import type {
  KubernetesObject,
  V1ConfigMap,
  V1DaemonSet,
  V1Deployment,
  V1NetworkPolicy,
  V1Role,
  V1RoleBinding,
} from "@kubernetes/client-node";
import { loadAllYaml } from "@kubernetes/client-node";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { parseGatewayConfig, registerGatewayCommand } from "../commands/gateway.ts";
import { buildManifests, GATEWAY_NAME, type ManifestsSettings, renderManifests, secretCommands } from "./manifests.ts";
import { addManifestsOptions, isCidr, PLACEHOLDER_STATE_URL, parseManifestsFlags } from "./manifests-flags.ts";

const STATE_URL = "postgres://bod@10.0.12.5:5433/bod";
const ARTIFACT_URL = "s3://bod-artifacts/prod?endpoint=http://10.0.20.7:9000&region=eu-west-1&forcePathStyle=true";

/** Parses a command line the way `bod deploy manifests` does. */
function settingsFrom(args: string[], env: Record<string, string | undefined> = {}): ManifestsSettings {
  const result = parse(args, env);
  if (!result.ok) throw new Error(result.message);
  return result.settings;
}

function parse(args: string[], env: Record<string, string | undefined> = {}) {
  const command = addManifestsOptions(new Command("manifests").exitOverride());
  command.parse(args, { from: "user" });
  return parseManifestsFlags(command.opts(), {
    env,
    workerImageGiven: command.getOptionValueSource("workerImage") === "cli",
    checkLlm: (variables) => void reasonerConfigFromEnv(variables),
  });
}

function find<T extends KubernetesObject>(objects: KubernetesObject[], kind: string, name: string, namespace?: string): T {
  const found = objects.find(
    (object) =>
      object.kind === kind && object.metadata?.name === name && (namespace === undefined || object.metadata?.namespace === namespace),
  );
  if (!found) throw new Error(`no ${kind} ${namespace ?? ""}/${name}`);
  return found as T;
}

const objectsOf = (settings: ManifestsSettings) => buildManifests(settings).map((document) => document.object);

describe("bod deploy manifests", () => {
  it("prints every object an operator applies, namespaces first, in the namespaces they belong to", () => {
    const objects = objectsOf(settingsFrom([]));
    expect(objects.map((object) => `${object.kind} ${object.metadata?.namespace ?? "-"}/${object.metadata?.name}`)).toEqual([
      "Namespace -/blender-on-demand",
      "Namespace -/blender-on-demand-workers",
      `ServiceAccount blender-on-demand/${GATEWAY_NAME}`,
      "ServiceAccount blender-on-demand-workers/default",
      `Role blender-on-demand-workers/${GATEWAY_NAME}`,
      `RoleBinding blender-on-demand-workers/${GATEWAY_NAME}`,
      `ConfigMap blender-on-demand/${GATEWAY_NAME}`,
      `Deployment blender-on-demand/${GATEWAY_NAME}`,
      `PodDisruptionBudget blender-on-demand/${GATEWAY_NAME}`,
      `Service blender-on-demand/${GATEWAY_NAME}`,
      "ConfigMap knative-serving/config-autoscaler",
      "ConfigMap knative-serving/config-defaults",
      "ConfigMap knative-serving/config-features",
      "ConfigMap knative-serving/config-deployment",
      "NetworkPolicy blender-on-demand-workers/default-deny",
      "NetworkPolicy blender-on-demand-workers/workers-ingress",
      "NetworkPolicy blender-on-demand-workers/workers-egress",
    ]);
    const custom = objectsOf(settingsFrom(["--namespace", "render", "--workers-namespace", "render-projects"]));
    expect(new Set(custom.map((object) => object.metadata?.namespace))).toEqual(
      new Set([undefined, "render", "render-projects", "knative-serving"]),
    );
  });

  it("names every object validly and never leaves a namespaced object to kubectl's current namespace", () => {
    const dnsSubdomain = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
    const dnsLabel = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
    const clusterScoped = new Set(["Namespace", "RuntimeClass"]);
    for (const object of objectsOf(settingsFrom(["--runtime-class", "kata"]))) {
      const name = object.metadata?.name ?? "";
      expect(name.length, name).toBeLessThanOrEqual(object.kind === "Namespace" || object.kind === "Service" ? 63 : 253);
      expect(name, `${object.kind} name`).toMatch(object.kind === "Namespace" || object.kind === "Service" ? dnsLabel : dnsSubdomain);
      if (clusterScoped.has(object.kind ?? "")) expect(object.metadata?.namespace).toBeUndefined();
      else expect(object.metadata?.namespace, `${object.kind} ${name}`).toMatch(dnsLabel);
      for (const [key, value] of Object.entries(object.metadata?.labels ?? {})) {
        expect(key).toMatch(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/);
        expect(value).toMatch(/^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/);
      }
    }
  });

  it("lets the gateway manage Knative Services and read Revisions in the workers' namespace, and nothing else", () => {
    const objects = objectsOf(settingsFrom([]));
    expect(objects.filter((object) => /Role|RoleBinding/.test(object.kind ?? "")).map((object) => object.kind)).toEqual([
      "Role",
      "RoleBinding",
    ]);
    const role = find<V1Role>(objects, "Role", GATEWAY_NAME);
    expect(role.metadata?.namespace).toBe("blender-on-demand-workers");
    expect(role.rules).toEqual([
      { apiGroups: ["serving.knative.dev"], resources: ["services"], verbs: ["get", "list", "watch", "create", "patch", "delete"] },
      { apiGroups: ["serving.knative.dev"], resources: ["revisions"], verbs: ["list", "watch"] },
    ]);
    const binding = find<V1RoleBinding>(objects, "RoleBinding", GATEWAY_NAME);
    expect(binding.metadata?.namespace).toBe("blender-on-demand-workers");
    expect(binding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: GATEWAY_NAME });
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: GATEWAY_NAME, namespace: "blender-on-demand" }]);
    const deployment = find<V1Deployment>(objects, "Deployment", GATEWAY_NAME);
    expect(deployment.spec?.template.spec?.serviceAccountName).toBe(GATEWAY_NAME);
    // Worker pods get no API token at all.
    expect(find(objects, "ServiceAccount", "default", "blender-on-demand-workers")).toMatchObject({ automountServiceAccountToken: false });
  });

  it("only references Secrets: no Secret object, credentials from secretKeyRefs, and no secret value in the output", () => {
    const env = {
      PGPASSWORD: "pg-password-value-1",
      AWS_ACCESS_KEY_ID: "AKIAEXAMPLEVALUE2",
      AWS_SECRET_ACCESS_KEY: "aws-secret-value-3",
      BOD_LLM_API_KEY: "llm-key-value-4",
    };
    const settings = settingsFrom(
      ["--state-url", STATE_URL, "--artifact-url", ARTIFACT_URL, "--llm-provider", "anthropic", "--llm-model", "claude-sonnet-4-5"],
      env,
    );
    const documents = buildManifests(settings);
    const text = renderManifests(documents, secretCommands(settings));
    for (const value of Object.values(env)) expect(text).not.toContain(value);
    expect(documents.some(({ object }) => object.kind === "Secret")).toBe(false);
    const deployment = find<V1Deployment>(
      documents.map((document) => document.object),
      "Deployment",
      GATEWAY_NAME,
    );
    const container = deployment.spec?.template.spec?.containers[0];
    const secretNames = ["PGPASSWORD", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "BOD_LLM_API_KEY"];
    for (const name of secretNames) {
      const variable = container?.env?.find((entry) => entry.name === name);
      expect(variable?.value, name).toBeUndefined();
      expect(variable?.valueFrom?.secretKeyRef?.key, name).toBe(name);
    }
    const configMap = find<V1ConfigMap>(
      documents.map((document) => document.object),
      "ConfigMap",
      GATEWAY_NAME,
    );
    expect(
      Object.keys(configMap.data ?? {}).filter((key) => secretNames.includes(key) || /PASSWORD|SECRET_ACCESS|API_KEY/.test(key)),
    ).toEqual([]);
    // The commands that create the Secrets carry placeholders, never values.
    for (const line of secretCommands(settings))
      expect(line).toMatch(/^kubectl -n [a-z0-9-]+ create secret generic [a-z0-9-]+( --from-literal=[A-Z_]+=\.\.\.)+$/);
  });

  it("runs the gateway non-root with 2 replicas, ready on /healthz, configured from its ConfigMap", () => {
    const objects = objectsOf(
      settingsFrom(["--state-url", STATE_URL, "--artifact-url", ARTIFACT_URL, "--image-registry", "ghcr.io/acme", "--tag", "1.4.0"]),
    );
    const deployment = find<V1Deployment>(objects, "Deployment", GATEWAY_NAME);
    expect(deployment.spec?.replicas).toBe(2);
    const pod = deployment.spec?.template.spec;
    const container = pod?.containers[0];
    expect(container?.image).toBe("ghcr.io/acme/blender-on-demand/gateway:1.4.0");
    expect(pod?.securityContext?.runAsNonRoot).toBe(true);
    expect(pod?.securityContext?.runAsUser).toBeGreaterThan(0);
    expect(container?.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(container?.readinessProbe?.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(container?.ports?.map((port) => port.name)).toContain("http");
    expect(deployment.spec?.selector.matchLabels).toEqual(
      Object.fromEntries(
        Object.entries(deployment.spec?.template.metadata?.labels ?? {}).filter(
          ([key]) => key in (deployment.spec?.selector.matchLabels ?? {}),
        ),
      ),
    );
    const configMap = find<V1ConfigMap>(objects, "ConfigMap", GATEWAY_NAME);
    expect(container?.envFrom).toEqual([{ configMapRef: { name: GATEWAY_NAME } }]);
    expect(configMap.data).toMatchObject({
      BOD_STATE_URL: STATE_URL,
      BOD_ARTIFACT_URL: ARTIFACT_URL,
      BOD_LLM_PROVIDER: "",
      BOD_WORKER_IMAGE: "ghcr.io/acme/blender-on-demand/worker:1.4.0",
      BOD_KUBE_NAMESPACE: "blender-on-demand-workers",
    });
    // Every $(VAR) in the arguments is defined by the ConfigMap (Kubernetes leaves unknown ones as they are).
    const references = (container?.args ?? []).flatMap((arg) => [...arg.matchAll(/\$\(([A-Z_]+)\)/g)].map((match) => match[1]));
    expect(references.length).toBeGreaterThan(10);
    for (const name of references) expect(configMap.data, `$(${name})`).toHaveProperty(name as string);
    const service = find(objects, "Service", GATEWAY_NAME) as {
      spec: { selector: Record<string, string>; ports: Array<{ targetPort: string }> };
    };
    expect(Object.entries(service.spec.selector).every(([key, value]) => deployment.spec?.template.metadata?.labels?.[key] === value)).toBe(
      true,
    );
    expect(service.spec.ports[0]?.targetPort).toBe("http");
  });

  it("hands `bod gateway` flags that rebuild exactly the workers' settings", async () => {
    const settings = settingsFrom([
      "--state-url",
      STATE_URL,
      "--artifact-url",
      ARTIFACT_URL,
      "--runtime-class",
      "kata",
      "--idle-window",
      "120",
      "--request-timeout",
      "1200",
      "--worker-memory-limit",
      "6Gi",
    ]);
    const objects = objectsOf(settings);
    const deployment = find<V1Deployment>(objects, "Deployment", GATEWAY_NAME);
    const configMap = find<V1ConfigMap>(objects, "ConfigMap", GATEWAY_NAME);
    const data = configMap.data ?? {};
    // What Kubernetes hands the container: $(VAR) expanded from its environment.
    const args = (deployment.spec?.template.spec?.containers[0]?.args ?? []).map((arg) =>
      arg.replace(/\$\(([A-Z_]+)\)/g, (_, name: string) => data[name] ?? ""),
    );
    expect(args.slice(0, 1)).toEqual(["gateway"]);
    // `bod gateway` itself parses them (its action replaced, so nothing starts).
    const program = new Command("bod").exitOverride();
    registerGatewayCommand(program);
    let rawFlags: Record<string, unknown> = {};
    program.commands
      .find((command) => command.name() === "gateway")
      ?.action((flags: Record<string, unknown>) => {
        rawFlags = flags;
      });
    program.parse(args, { from: "user" });
    const environment = {
      BOD_STATE_URL: data.BOD_STATE_URL,
      BOD_ARTIFACT_URL: data.BOD_ARTIFACT_URL,
      BOD_LLM_PROVIDER: data.BOD_LLM_PROVIDER,
    };
    const config = await parseGatewayConfig(rawFlags, environment);
    if (!config.ok) throw new Error(config.message);
    expect(config.config.runtime).toBe("knative");
    expect(config.config.runtime === "knative" && config.config.worker).toEqual(settings.worker);
    expect(config.config.serve.flags).toMatchObject({ host: "0.0.0.0", port: 8080 });
    expect(settings.worker).toMatchObject({ runtimeClassName: "kata", idleWindowSeconds: 120, timeoutSeconds: 1200 });
  });

  it("sets the Knative settings the workers rely on, with room for the workers' request timeout", () => {
    const objects = objectsOf(settingsFrom([]));
    expect(find<V1ConfigMap>(objects, "ConfigMap", "config-autoscaler", "knative-serving").data).toEqual({
      "allow-zero-initial-scale": "true",
    });
    expect(find<V1ConfigMap>(objects, "ConfigMap", "config-defaults", "knative-serving").data).toEqual({
      "max-revision-timeout-seconds": "1800",
    });
    expect(find<V1ConfigMap>(objects, "ConfigMap", "config-features", "knative-serving").data).toEqual({
      "kubernetes.podspec-runtimeclassname": "enabled",
    });
    const long = objectsOf(settingsFrom(["--request-timeout", "3600"]));
    expect(find<V1ConfigMap>(long, "ConfigMap", "config-defaults").data).toEqual({ "max-revision-timeout-seconds": "3600" });
    // Tags are resolved to digests for a real registry, not for images loaded into the nodes.
    expect(objects.some((object) => object.metadata?.name === "config-deployment")).toBe(true);
    expect(
      objectsOf(settingsFrom(["--image-registry", "ghcr.io/acme"])).some((object) => object.metadata?.name === "config-deployment"),
    ).toBe(false);
  });

  it("adds a Kata RuntimeClass only when the workers ask for one", () => {
    expect(objectsOf(settingsFrom([])).some((object) => object.kind === "RuntimeClass")).toBe(false);
    const objects = objectsOf(settingsFrom(["--runtime-class", "kata"]));
    expect(find(objects, "RuntimeClass", "kata")).toMatchObject({
      apiVersion: "node.k8s.io/v1",
      handler: "kata",
      overhead: { podFixed: { memory: "160Mi" } },
    });
    expect(
      find(objectsOf(settingsFrom(["--runtime-class", "kata-fc", "--runtime-class-handler", "kata-fc"])), "RuntimeClass", "kata-fc"),
    ).toMatchObject({
      handler: "kata-fc",
    });
  });

  it("leaves out a RuntimeClass that exists already, and keeps the worker image on every node with --prepull", () => {
    const existing = settingsFrom(["--runtime-class", "kata-qemu", "--no-runtime-class-object"]);
    expect(existing.worker.runtimeClassName).toBe("kata-qemu");
    expect(objectsOf(existing).some((object) => object.kind === "RuntimeClass")).toBe(false);
    expect(objectsOf(settingsFrom([])).some((object) => object.kind === "DaemonSet")).toBe(false);
    const settings = settingsFrom(["--prepull", "--runtime-class", "kata", "--image-registry", "ghcr.io/acme", "--tag", "2.0.0"]);
    const prepull = find<V1DaemonSet>(objectsOf(settings), "DaemonSet", "blender-on-demand-worker-prepull", "blender-on-demand-workers");
    const pod = prepull.spec?.template.spec;
    expect(pod?.containers.map((container) => container.image)).toEqual(["ghcr.io/acme/blender-on-demand/worker:2.0.0"]);
    expect(pod?.containers[0]?.command).toEqual(["sleep", "infinity"]);
    expect(pod?.nodeSelector).toEqual({ "katacontainers.io/kata-runtime": "true" });
    expect(pod?.automountServiceAccountToken).toBe(false);
    // Not a worker: the workers' policies do not select it (the namespace's default deny does).
    const podLabels = prepull.spec?.template.metadata?.labels ?? {};
    const workerSelector =
      find<V1NetworkPolicy>(objectsOf(settings), "NetworkPolicy", "workers-ingress").spec?.podSelector?.matchLabels ?? {};
    expect(Object.entries(workerSelector).every(([key, value]) => podLabels[key] === value)).toBe(false);
  });

  it("fences the pods the worker Services make: ingress from Knative's data path and the gateway, egress to DNS, PostgreSQL and S3", () => {
    const settings = settingsFrom(["--state-url", STATE_URL, "--artifact-url", ARTIFACT_URL]);
    const objects = objectsOf(settings);
    const denyAll = find<V1NetworkPolicy>(objects, "NetworkPolicy", "default-deny");
    expect(denyAll.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    const ingress = find<V1NetworkPolicy>(objects, "NetworkPolicy", "workers-ingress");
    const egress = find<V1NetworkPolicy>(objects, "NetworkPolicy", "workers-egress");
    // The selector matches the labels of the pods a real worker Service makes.
    const podLabels = buildWorkerService("p-1234", settings.worker).spec.template.metadata.labels;
    for (const policy of [ingress, egress])
      for (const [key, value] of Object.entries(policy.spec?.podSelector?.matchLabels ?? {})) expect(podLabels[key], key).toBe(value);
    expect(Object.keys(ingress.spec?.podSelector?.matchLabels ?? {}).length).toBeGreaterThan(0);
    const peers = ingress.spec?.ingress?.flatMap((rule) =>
      (rule._from ?? []).map((peer) => ({ peer, ports: rule.ports?.map((port) => port.port) })),
    );
    expect(peers).toEqual([
      {
        peer: {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "knative-serving" } },
          podSelector: { matchLabels: { app: "activator" } },
        },
        ports: [8012, 8013, 8112],
      },
      { peer: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kourier-system" } } }, ports: [8012, 8013, 8112] },
      {
        peer: {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "blender-on-demand" } },
          podSelector: { matchLabels: { "app.kubernetes.io/name": GATEWAY_NAME } },
        },
        ports: [8012, 8013, 8112],
      },
      {
        peer: {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "knative-serving" } },
          podSelector: { matchLabels: { app: "autoscaler" } },
        },
        ports: [9090],
      },
    ]);
    expect(egress.spec?.egress?.map((rule) => ({ to: rule.to, ports: rule.ports }))).toEqual([
      {
        to: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
            podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
          },
        ],
        ports: [
          { protocol: "UDP", port: 53 },
          { protocol: "TCP", port: 53 },
        ],
      },
      // The addresses and ports of --state-url and the --artifact-url endpoint.
      { to: [{ ipBlock: { cidr: "10.0.12.5/32" } }], ports: [{ protocol: "TCP", port: 5433 }] },
      { to: [{ ipBlock: { cidr: "10.0.20.7/32" } }], ports: [{ protocol: "TCP", port: 9000 }] },
    ]);
    const given = objectsOf(
      settingsFrom(["--postgres-cidr", "10.1.0.0/16", "10.2.0.0/16", "--s3-cidr", "2001:db8::/64", "--s3-port", "8443"]),
    );
    expect(find<V1NetworkPolicy>(given, "NetworkPolicy", "workers-egress").spec?.egress?.slice(1)).toEqual([
      { to: [{ ipBlock: { cidr: "10.1.0.0/16" } }, { ipBlock: { cidr: "10.2.0.0/16" } }], ports: [{ protocol: "TCP", port: 5432 }] },
      { to: [{ ipBlock: { cidr: "2001:db8::/64" } }], ports: [{ protocol: "TCP", port: 8443 }] },
    ]);
  });

  it("prints one YAML stream that reads back as the same objects, each after its comment", () => {
    const settings = settingsFrom(["--runtime-class", "kata"]);
    const documents = buildManifests(settings);
    const text = renderManifests(documents, ["header line"]);
    expect(text.startsWith("# header line\n---\n")).toBe(true);
    // dumpYaml drops a field its model does not know: reading the stream back must give every
    // object whole (a dropped NetworkPolicy `from` would open the workers to every pod).
    const readBack = loadAllYaml(text) as KubernetesObject[];
    expect(JSON.parse(JSON.stringify(readBack))).toEqual(JSON.parse(JSON.stringify(documents.map(({ object }) => object))));
    const ingress = text.slice(text.indexOf("name: workers-ingress"));
    expect(ingress.slice(0, ingress.indexOf("---")).match(/^ {4}- from:/gm)?.length).toBe(3);
    for (const { comment } of documents) for (const line of comment) expect(text).toContain(line ? `# ${line}\n` : "#\n");
  });

  it("says which flag is wrong and what is allowed", () => {
    const message = (args: string[]) => {
      const result = parse(args);
      return result.ok ? "accepted" : result.message;
    };
    expect(message(["--namespace", "Blender"])).toMatch(/namespace: a DNS label/);
    expect(message(["--workers-namespace", "blender-on-demand"])).toMatch(/--workers-namespace must differ from --namespace/);
    expect(message(["--postgres-cidr", "10.0.0.0/33"])).toMatch(/--postgres-cidr: "10.0.0.0\/33" is not a CIDR/);
    expect(message(["--replicas", "0"])).toMatch(/replicas/);
    expect(message(["--state-url", "postgres://bod:pw@db/bod"])).toMatch(/--state-url: put the password in PGPASSWORD/);
    expect(message(["--llm-provider", "openai-compatible", "--llm-model", "m"])).toMatch(/^--llm-base-url: required/);
    expect(message(["--idle-window", "2"])).toMatch(/idleWindow|idle/i);
    expect(isCidr("::/0")).toBe(true);
    expect(isCidr("10.0.0.1")).toBe(false);
  });

  it("names placeholders and open egress in its notes, so the operator sees them before applying", () => {
    const result = parse([]);
    expect(result.ok && result.notes.join("\n")).toMatch(/no --state-url/);
    expect(result.ok && result.settings.stateUrl).toBe(PLACEHOLDER_STATE_URL);
    expect(result.ok && result.notes.join("\n")).toMatch(/any address on PostgreSQL's port 5432/);
    const given = parse(["--state-url", STATE_URL, "--artifact-url", ARTIFACT_URL]);
    expect(given.ok && given.notes).toEqual([]);
  });
});
