// The loopback Kubernetes API server of @bod/testing, driven by the real @kubernetes/client-node
// exactly as the Knative backend drives a cluster's: a KubeConfig with its CA and token, custom
// objects applied server-side, listed by label, watched by an informer, deleted with
// preconditions, and errors as Kubernetes Status objects the client turns into ApiException.
import { type KubeApiServer, startKubeApiServer } from "@bod/testing";
import {
  ApiException,
  CustomObjectsApi,
  KubeConfig,
  type KubernetesObject,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const KNATIVE = { group: "serving.knative.dev", version: "v1" };
let server: KubeApiServer;
let api: CustomObjectsApi;
let kubeConfig: KubeConfig;

beforeAll(async () => {
  server = await startKubeApiServer({
    resources: [
      { ...KNATIVE, plural: "services", kind: "Service" },
      { ...KNATIVE, plural: "revisions", kind: "Revision" },
    ],
    namespaces: ["bod"],
  });
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(await server.writeKubeconfig("bod"));
  api = kubeConfig.makeApiClient(CustomObjectsApi);
});
afterAll(async () => {
  await server?.stop();
});

type Service = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

function service(name: string, image: string, extra: Record<string, unknown> = {}): Service {
  return {
    apiVersion: "serving.knative.dev/v1",
    kind: "Service",
    metadata: { name, labels: { app: "worker" }, annotations: { note: "a" } },
    spec: { template: { spec: { containers: [{ image }], ...extra } } },
  };
}

const apply = (body: Service, fieldManager = "blender-on-demand", force = true) =>
  api.patchNamespacedCustomObject(
    { ...KNATIVE, namespace: "bod", plural: "services", name: body.metadata!.name!, body, fieldManager, force },
    setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
  ) as Promise<Service>;

async function apiError(
  promise: Promise<unknown>,
): Promise<{ code: number; body: { kind: string; status: string; reason: string; message: string; code: number } }> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiException);
    const apiException = error as ApiException<string>;
    return { code: apiException.code, body: JSON.parse(apiException.body) };
  }
  throw new Error("expected the API server to refuse");
}

describe("the loopback Kubernetes API server through @kubernetes/client-node", () => {
  it("creates an object with server-side apply, as client-node sends it, and reads it back", async () => {
    const created = await apply(service("svc-a", "img:1", { containerConcurrency: 10 }));
    expect(created.metadata).toMatchObject({ name: "svc-a", namespace: "bod", generation: 1 });
    expect(created.metadata!.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata!.managedFields).toEqual([
      expect.objectContaining({ manager: "blender-on-demand", operation: "Apply", fieldsType: "FieldsV1" }),
    ]);
    const patch = server.requests().find((request) => request.method === "PATCH")!;
    expect(patch).toMatchObject({
      path: "/apis/serving.knative.dev/v1/namespaces/bod/services/svc-a",
      query: { fieldManager: "blender-on-demand", force: "true" },
      contentType: "application/apply-patch+yaml",
      status: 201,
    });
    const read = (await api.getNamespacedCustomObject({ ...KNATIVE, namespace: "bod", plural: "services", name: "svc-a" })) as Service;
    expect(read.spec).toEqual({ template: { spec: { containers: [{ image: "img:1" }], containerConcurrency: 10 } } });
  });

  it("keeps the resourceVersion on a no-op apply, bumps generation on a spec change, and drops fields the manager stops applying", async () => {
    const before = (await api.getNamespacedCustomObject({ ...KNATIVE, namespace: "bod", plural: "services", name: "svc-a" })) as Service;
    const same = await apply(service("svc-a", "img:1", { containerConcurrency: 10 }));
    expect(same.metadata!.resourceVersion).toBe(before.metadata!.resourceVersion);
    const changed = await apply(service("svc-a", "img:2"));
    expect(Number(changed.metadata!.resourceVersion)).toBeGreaterThan(Number(before.metadata!.resourceVersion));
    expect(changed.metadata!.generation).toBe(2);
    expect(changed.spec).toEqual({ template: { spec: { containers: [{ image: "img:2" }] } } });
  });

  it("refuses another manager's conflicting apply with a 409 Conflict Status unless forced", async () => {
    const refused = await apiError(apply(service("svc-a", "img:other"), "someone-else", false));
    expect(refused.code).toBe(409);
    expect(refused.body).toMatchObject({ kind: "Status", status: "Failure", reason: "Conflict", code: 409 });
    expect(refused.body.message).toContain("conflicts with blender-on-demand");
    const forced = await apply(service("svc-a", "img:other"), "someone-else", true);
    expect((forced.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec.containers[0]!.image).toBe(
      "img:other",
    );
  });

  it("answers a missing object, a missing namespace and a wrong token with Status objects", async () => {
    const missing = await apiError(api.getNamespacedCustomObject({ ...KNATIVE, namespace: "bod", plural: "services", name: "nope" }));
    expect(missing).toMatchObject({ code: 404, body: { reason: "NotFound", message: 'services.serving.knative.dev "nope" not found' } });
    const noNamespace = await apiError(
      api.getNamespacedCustomObject({ ...KNATIVE, namespace: "elsewhere", plural: "services", name: "x" }),
    );
    expect(noNamespace).toMatchObject({ code: 404, body: { message: 'namespaces "elsewhere" not found' } });
    const stranger = new KubeConfig();
    stranger.loadFromString(server.kubeconfig("bod").replace(server.token, "wrong-token"));
    // client-node keeps no body for a 401; the raw answer is a Status like any other.
    await expect(
      stranger
        .makeApiClient(CustomObjectsApi)
        .getNamespacedCustomObject({ ...KNATIVE, namespace: "bod", plural: "services", name: "svc-a" }),
    ).rejects.toMatchObject({ code: 401 });
    expect(server.requests().at(-1)!.status).toBe(401);
  });

  it("is reached over TLS only with its own CA", async () => {
    const untrusting = new KubeConfig();
    const config = JSON.parse(server.kubeconfig("bod"));
    delete config.clusters[0].cluster["certificate-authority-data"];
    untrusting.loadFromString(JSON.stringify(config));
    await expect(
      untrusting
        .makeApiClient(CustomObjectsApi)
        .getNamespacedCustomObject({ ...KNATIVE, namespace: "bod", plural: "services", name: "svc-a" }),
    ).rejects.toThrow();
  });

  it("lists by label selector with the list's resourceVersion", async () => {
    await apply({ ...service("svc-b", "img:1"), metadata: { name: "svc-b", labels: { app: "other" } } });
    const list = (await api.listNamespacedCustomObject({
      ...KNATIVE,
      namespace: "bod",
      plural: "services",
      labelSelector: "app=worker",
    })) as {
      kind: string;
      metadata: { resourceVersion: string };
      items: Service[];
    };
    expect(list.kind).toBe("ServiceList");
    expect(list.items.map((item) => item.metadata!.name)).toEqual(["svc-a"]);
    expect(Number(list.metadata.resourceVersion)).toBeGreaterThan(0);
    const notIn = (await api.listNamespacedCustomObject({
      ...KNATIVE,
      namespace: "bod",
      plural: "services",
      labelSelector: "app notin (worker)",
    })) as {
      items: Service[];
    };
    expect(notIn.items.map((item) => item.metadata!.name)).toEqual(["svc-b"]);
  });

  it("deletes with preconditions: a stale resourceVersion is a 409, the current one deletes", async () => {
    const current = (await api.getNamespacedCustomObject({ ...KNATIVE, namespace: "bod", plural: "services", name: "svc-b" })) as Service;
    const stale = await apiError(
      api.deleteNamespacedCustomObject({
        ...KNATIVE,
        namespace: "bod",
        plural: "services",
        name: "svc-b",
        body: { preconditions: { resourceVersion: "1" } },
      }),
    );
    expect(stale).toMatchObject({ code: 409, body: { reason: "Conflict" } });
    expect(stale.body.message).toContain("Precondition failed");
    await api.deleteNamespacedCustomObject({
      ...KNATIVE,
      namespace: "bod",
      plural: "services",
      name: "svc-b",
      body: { preconditions: { resourceVersion: current.metadata!.resourceVersion! } },
    });
    expect(server.get("services", "bod", "svc-b")).toBeUndefined();
    const again = await apiError(api.deleteNamespacedCustomObject({ ...KNATIVE, namespace: "bod", plural: "services", name: "svc-b" }));
    expect(again.code).toBe(404);
  });

  it("feeds client-node's informer: the initial list, then added, modified and deleted objects, through a watch that ends and a compacted history", async () => {
    const informer = makeInformer<Service>(
      kubeConfig,
      "/apis/serving.knative.dev/v1/namespaces/bod/services",
      () => api.listNamespacedCustomObject({ ...KNATIVE, namespace: "bod", plural: "services", labelSelector: "app=worker" }) as never,
      "app=worker",
    );
    const seen: string[] = [];
    informer.on("add", (object) => seen.push(`add ${object.metadata!.name}`));
    informer.on("update", (object) => seen.push(`update ${object.metadata!.name} ${JSON.stringify(object.status ?? {})}`));
    informer.on("delete", (object) => seen.push(`delete ${object.metadata!.name}`));
    await informer.start();
    try {
      expect(informer.list("bod").map((object) => object.metadata!.name)).toEqual(["svc-a"]);
      const until = async (condition: () => boolean) => {
        const deadline = Date.now() + 10_000;
        while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        expect(condition()).toBe(true);
      };
      await apply(service("svc-c", "img:1"));
      await until(() => informer.get("svc-c", "bod") !== undefined);
      server.writeStatus("services", "bod", "svc-c", { address: { url: "http://svc-c.bod.svc.cluster.local" } });
      await until(() => (informer.get("svc-c", "bod")?.status as { address?: { url?: string } } | undefined)?.address?.url !== undefined);
      // A watch the server ends resumes from the last resourceVersion without losing changes.
      server.endWatches();
      await apply(service("svc-d", "img:1"));
      await until(() => informer.get("svc-d", "bod") !== undefined);
      // After compaction the resume gets 410 Expired and the informer lists again.
      server.compact();
      server.endWatches();
      await api.deleteNamespacedCustomObject({ ...KNATIVE, namespace: "bod", plural: "services", name: "svc-c" });
      await until(() => informer.get("svc-c", "bod") === undefined);
      expect(seen).toEqual(expect.arrayContaining(["add svc-c", "add svc-d", "delete svc-c"]));
      expect(seen.some((entry) => entry.startsWith("update svc-c") && entry.includes("svc-c.bod.svc.cluster.local"))).toBe(true);
      const watches = server.requests().filter((request) => request.query.watch === "true");
      expect(watches.length).toBeGreaterThanOrEqual(3);
      expect(watches.every((request) => request.query.labelSelector === "app=worker")).toBe(true);
    } finally {
      await informer.stop();
    }
  });

  it("changes status only through the status subresource", async () => {
    await apply({ ...service("svc-a", "img:3"), status: { conditions: [{ type: "Ready", status: "True" }] } } as Service);
    expect(server.get("services", "bod", "svc-a")!.status).toBeUndefined();
    await api.patchNamespacedCustomObjectStatus(
      {
        ...KNATIVE,
        namespace: "bod",
        plural: "services",
        name: "svc-a",
        body: { apiVersion: "serving.knative.dev/v1", kind: "Service", metadata: { name: "svc-a" }, status: { observedGeneration: 3 } },
        fieldManager: "controller",
        force: true,
      },
      setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
    );
    expect(server.get("services", "bod", "svc-a")!.status).toEqual({ observedGeneration: 3 });
  });
});
