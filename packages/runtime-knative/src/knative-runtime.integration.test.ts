// The Knative backend against the loopback Kubernetes API server, through the real
// @kubernetes/client-node: Services applied server-side on first use, the address Knative reports,
// instance state from the informers (Service and Revision), last-used updates, deletion, and the
// idle sweeper. The test plays Knative's controller by writing the status a real one writes.
import { type KubeApiServer, type KubeObject, startKubeApiServer } from "@bod/testing";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createKnativeRuntime, type KnativeRuntime } from "./knative-runtime.ts";
import { LAST_USED_ANNOTATION, WORKER_SERVICE_DEFAULTS, workerServiceName } from "./worker-service.ts";

const NAMESPACE = "bod-workers";
let server: KubeApiServer;
let kubeConfig: KubeConfig;
let clock = Date.parse("2026-12-01T10:00:00Z");
const runtimes: KnativeRuntime[] = [];
/** What the stand-in controller does with a new Service: "ready" (address and a revision), "fail", or nothing. */
let onCreate: "ready" | "fail" | "wait" = "ready";

beforeAll(async () => {
  server = await startKubeApiServer({
    resources: [
      { group: "serving.knative.dev", version: "v1", plural: "services", kind: "Service" },
      { group: "serving.knative.dev", version: "v1", plural: "revisions", kind: "Revision" },
    ],
    namespaces: [NAMESPACE],
  });
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(server.kubeconfig(NAMESPACE));
  server.subscribe("services", NAMESPACE, (type, service) => {
    // Kubernetes' garbage collector deletes the revisions a Service owns; the loopback server has none.
    if (type === "DELETED")
      for (const revision of server.list("revisions", NAMESPACE))
        if (revision.metadata.name.startsWith(`${service.metadata.name}-`)) server.remove("revisions", NAMESPACE, revision.metadata.name);
    if (type !== "ADDED") return;
    setTimeout(() => {
      if (onCreate === "wait" || !server.get("services", NAMESPACE, service.metadata.name)) return;
      if (onCreate === "fail")
        server.writeStatus("services", NAMESPACE, service.metadata.name, {
          conditions: [{ type: "Ready", status: "False", reason: "RevisionFailed", message: "Back-off pulling image" }],
        });
      else markReady(service, 1);
    }, 50);
  });
});
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.close()));
  onCreate = "ready";
});
afterAll(async () => {
  await server?.stop();
});

function markReady(service: KubeObject, replicas: number): void {
  const revision = `${service.metadata.name}-00001`;
  server.create("revisions", {
    apiVersion: "serving.knative.dev/v1",
    kind: "Revision",
    metadata: {
      name: revision,
      namespace: NAMESPACE,
      labels: { ...(service.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels },
    },
  });
  setReplicas(revision, replicas, replicas);
  server.writeStatus("services", NAMESPACE, service.metadata.name, {
    observedGeneration: service.metadata.generation,
    latestCreatedRevisionName: revision,
    latestReadyRevisionName: revision,
    conditions: [{ type: "Ready", status: "True", lastTransitionTime: new Date().toISOString() }],
    address: { url: `http://${service.metadata.name}.${NAMESPACE}.svc.cluster.local` },
    url: `http://${service.metadata.name}.${NAMESPACE}.svc.cluster.local`,
  });
}

function setReplicas(revision: string, actualReplicas: number, desiredReplicas: number): void {
  server.writeStatus("revisions", NAMESPACE, revision, {
    actualReplicas,
    desiredReplicas,
    conditions: [{ type: "Active", status: actualReplicas > 0 ? "True" : "False", lastTransitionTime: new Date().toISOString() }],
  });
}

async function startRuntime(options: { deleteAfterIdleDays?: number } = {}): Promise<KnativeRuntime> {
  const runtime = createKnativeRuntime({
    kubeConfig,
    settings: { ...WORKER_SERVICE_DEFAULTS, namespace: NAMESPACE },
    now: () => clock,
    addressTimeoutMs: 5000,
    ...options,
  });
  runtimes.push(runtime);
  await runtime.start();
  return runtime;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const patchesOf = (name: string) =>
  server.requests().filter((request) => request.method === "PATCH" && request.path.endsWith(`/services/${name}`));

describe("the Knative runtime backend", () => {
  it("creates a project's Service on first use with one server-side apply and answers with the address Knative reports", async () => {
    const runtime = await startRuntime();
    const name = workerServiceName("first-use");
    expect(runtime.instance("first-use")).toBeUndefined();
    const urls = await Promise.all([runtime.ensure("first-use"), runtime.ensure("first-use"), runtime.ensure("first-use")]);
    expect(urls).toEqual(Array(3).fill(`http://${name}.${NAMESPACE}.svc.cluster.local`));
    expect(patchesOf(name)).toEqual([
      expect.objectContaining({
        contentType: "application/apply-patch+yaml",
        query: { fieldManager: "blender-on-demand", force: "true" },
        status: 201,
      }),
    ]);
    const stored = server.get("services", NAMESPACE, name)!;
    expect(stored.metadata.labels).toMatchObject({
      "networking.knative.dev/visibility": "cluster-local",
      "blender-on-demand/project": "first-use",
    });
    expect(stored.metadata.annotations![LAST_USED_ANNOTATION]).toBe(new Date(clock).toISOString());
    await until(() => runtime.instance("first-use")?.state === "ready", "ready");
  });

  it("shows asleep, waking and ready from the revision's replicas, as the informer sees them", async () => {
    const runtime = await startRuntime();
    onCreate = "wait";
    const pending = runtime.ensure("states");
    const name = workerServiceName("states");
    await until(() => runtime.instance("states")?.state === "starting", "starting while never ready");
    markReady(server.get("services", NAMESPACE, name)!, 1);
    await pending;
    await until(() => runtime.instance("states")?.state === "ready", "ready");
    setReplicas(`${name}-00001`, 1, 0);
    await until(() => runtime.instance("states")?.state === "draining", "scaling to zero");
    setReplicas(`${name}-00001`, 0, 0);
    await until(() => runtime.instance("states")?.state === "stopped", "asleep");
    setReplicas(`${name}-00001`, 0, 1);
    await until(() => runtime.instance("states")?.state === "starting", "waking");
    setReplicas(`${name}-00001`, 1, 1);
    await until(() => runtime.instance("states")?.state === "ready", "ready again");
    // State comes from the watch: no request per lookup.
    const before = server.requests().length;
    for (let index = 0; index < 50; index++) runtime.instance("states");
    expect(server.requests().length).toBe(before);
  });

  it("re-applies a used Service at most once per touch interval, updating last-used without a new revision", async () => {
    const runtime = await startRuntime();
    const name = workerServiceName("touched");
    await runtime.ensure("touched");
    const generation = server.get("services", NAMESPACE, name)!.metadata.generation;
    clock += 60_000;
    await runtime.ensure("touched");
    expect(patchesOf(name)).toHaveLength(1);
    clock += 600_000;
    await runtime.ensure("touched");
    expect(patchesOf(name)).toHaveLength(2);
    const stored = server.get("services", NAMESPACE, name)!;
    expect(stored.metadata.annotations![LAST_USED_ANNOTATION]).toBe(new Date(clock).toISOString());
    expect(stored.metadata.generation).toBe(generation);
  });

  it("fails fast with Knative's reason when the Service cannot become ready", async () => {
    const runtime = await startRuntime();
    onCreate = "fail";
    await expect(runtime.ensure("broken")).rejects.toThrow('The Knative Service of project "broken" failed: Back-off pulling image');
    await until(() => runtime.instance("broken")?.failure === "Back-off pulling image", "failure shown");
  });

  it("deletes the Service with its project, idempotently, and creates it again on the next use", async () => {
    const runtime = await startRuntime();
    const name = workerServiceName("deleted");
    await runtime.ensure("deleted");
    await runtime.delete("deleted");
    expect(server.get("services", NAMESPACE, name)).toBeUndefined();
    await until(() => runtime.instance("deleted") === undefined, "informer sees the deletion");
    await runtime.delete("deleted");
    await runtime.ensure("deleted");
    expect(server.get("services", NAMESPACE, name)).toBeDefined();
  });

  it("sweeps Services unused for the configured days, keeps the rest, and a swept project comes back lazily", async () => {
    const runtime = await startRuntime({ deleteAfterIdleDays: 7 });
    await runtime.ensure("old-project");
    clock += 6 * 86_400_000;
    await runtime.ensure("recent-project");
    clock += 2 * 86_400_000;
    const swept = await runtime.sweep();
    expect(swept).toContain(workerServiceName("old-project"));
    expect(swept).not.toContain(workerServiceName("recent-project"));
    expect(server.get("services", NAMESPACE, workerServiceName("old-project"))).toBeUndefined();
    expect(server.get("services", NAMESPACE, workerServiceName("recent-project"))).toBeDefined();
    await until(() => runtime.instance("old-project") === undefined, "informer sees the sweep");
    await runtime.ensure("old-project");
    expect(server.get("services", NAMESPACE, workerServiceName("old-project"))!.metadata.annotations![LAST_USED_ANNOTATION]).toBe(
      new Date(clock).toISOString(),
    );
  });

  it("keeps its view through watches the API server ends and a compacted history", async () => {
    const runtime = await startRuntime();
    await runtime.ensure("resumed");
    server.compact();
    server.endWatches();
    setReplicas(`${workerServiceName("resumed")}-00001`, 0, 0);
    await until(() => runtime.instance("resumed")?.state === "stopped", "state after the relist");
  });
});
