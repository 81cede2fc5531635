// `bod gateway --runtime knative` as a process, against a Kubernetes API server on loopback that
// it reaches through @kubernetes/client-node (KUBECONFIG, TLS, a token), with a test-side
// stand-in for Knative's controller, activator and queue-proxy that runs each Service's pod as a
// real worker (a `bod worker` process, or the worker image with podman when BOD_TEST_WORKER_POD is
// "container") with the Service's args and env, on the real PostgreSQL and S3 server. A user's
// red-cube turn through the gateway creates the project's Service and stores the render in the
// bucket; the Service's pod is stopped and the next turn wakes a second one, which restores the
// scene; a render longer than the Service's request timeout keeps its response streaming; deleting
// the project deletes its Service. What this does not show (Knative's real networking, autoscaler
// and admission webhooks) is in docs/runtime.md, "Knative backend".
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { loadYaml } from "@bod/runtime-knative";
import { type buildWorkerService, LAST_USED_ANNOTATION, workerServiceName } from "@bod/runtime-knative/worker-service";
import { createS3Client } from "@bod/storage/scale-out";
import {
  createTestBucket,
  createTestDatabase,
  type KubeApiServer,
  startKubeApiServer,
  type TestBucket,
  type TestDatabase,
} from "@bod/testing";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiClient } from "./support/api-client.ts";
import { type GatewayProcess, startGatewayProcess } from "./support/gateway-process.ts";
import {
  canRunContainers,
  type KnativeStandIn,
  startKnativeStandIn,
  startWorkerContainer,
  startWorkerProcess,
} from "./support/knative-stand-in.ts";
import { runBod } from "./support/serve-process.ts";

const NAMESPACE = "bod-workers";
const WORKER_IMAGE = "localhost/blender-on-demand/worker:dev";
/** How pods run: `bod worker` processes of this checkout, or the worker image with podman. */
const PODS = process.env.BOD_TEST_WORKER_POD === "container" ? "container" : "process";
/** The Service's timeoutSeconds and responseStartTimeoutSeconds here: far below a Cycles render. */
const REQUEST_TIMEOUT_SECONDS = 2;

let database: TestDatabase;
let bucket: TestBucket;
let api: KubeApiServer;
let standIn: KnativeStandIn;
let gateway: GatewayProcess;
let client: ReturnType<typeof createApiClient>;
let projectId: string;
let serviceName: string;
let renderPath: string;
const podLog: string[] = [];
/** The flags that shape the Service, given to the gateway and to `bod deploy worker-service` alike. */
let serviceFlags: string[];

beforeAll(async () => {
  [database, bucket] = await Promise.all([createTestDatabase(), createTestBucket()]);
  api = await startKubeApiServer({
    resources: [
      { group: "serving.knative.dev", version: "v1", plural: "services", kind: "Service" },
      { group: "serving.knative.dev", version: "v1", plural: "revisions", kind: "Revision" },
    ],
    namespaces: [NAMESPACE],
  });
  if (PODS === "container" && !(await canRunContainers(WORKER_IMAGE)))
    throw new Error(`BOD_TEST_WORKER_POD=container, but podman cannot run ${WORKER_IMAGE} here (build it with scripts/build-images.sh).`);
  standIn = startKnativeStandIn({
    api,
    namespace: NAMESPACE,
    startWorker: PODS === "container" ? startWorkerContainer() : startWorkerProcess(),
    // The Secret the Service's envFrom names: the only way the pods get the bucket's keys.
    secrets: {
      "blender-on-demand-storage": {
        AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID!,
        AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY!,
        AWS_REGION: process.env.AWS_REGION ?? "us-east-1",
      },
    },
    log: (line) => podLog.push(line),
  });
  serviceFlags = [
    "--state-url",
    database.url,
    "--artifact-url",
    bucket.url,
    "--idle-window",
    "600",
    "--request-timeout",
    String(REQUEST_TIMEOUT_SECONDS),
    "--worker-log-level",
    "warn",
  ];
  gateway = await startGatewayProcess(["--runtime", "knative", "--kube-namespace", NAMESPACE, ...serviceFlags], {
    KUBECONFIG: await api.writeKubeconfig(NAMESPACE),
  });
  client = createApiClient(gateway.url, gateway.signInToken);
});

afterAll(async () => {
  await gateway?.stop();
  await standIn?.stop();
  await api?.stop();
  await database?.drop();
  await bucket?.drop();
});

type Turn = {
  status: string;
  reply: string;
  toolCalls: Array<{ name: string; result?: { objects?: Array<{ name: string; material?: { base_color?: number[] } }> } }>;
  artifacts: Array<{ id: string; url: string; mimeType: string }>;
};
type Badge = { state: string };

async function sendTurn(text: string): Promise<Turn> {
  const events = await client.stream(projectId, text);
  return events.at(-1)!.data as Turn;
}

const badge = () => client.json<Badge>(`/api/projects/${projectId}/instance`);

describe(`bod gateway --runtime knative (pods: ${PODS})`, () => {
  it("answers a user's red-cube turn through a Knative Service it creates for the project, and stores the render in the bucket", async () => {
    projectId = (await client.json<{ id: string }>("/api/projects", { method: "POST", body: JSON.stringify({ name: "Knative" }) })).id;
    serviceName = workerServiceName(projectId);
    expect((await badge()).state).toBe("asleep");
    expect(api.get("services", NAMESPACE, serviceName)).toBeUndefined();

    const turn = await sendTurn("Add a red cube and render the scene");
    expect(turn.status, podLog.join("\n")).toBe("completed");
    expect(turn.artifacts).toHaveLength(1);
    renderPath = new URL(turn.artifacts[0]!.url).pathname;

    // The Service is exactly what `bod deploy worker-service` prints for the same flags.
    const stored = api.get("services", NAMESPACE, serviceName)!;
    const printed = loadYaml<ReturnType<typeof buildWorkerService>>(
      (await runBod(["deploy", "worker-service", "--project", projectId, "--namespace", NAMESPACE, ...serviceFlags])).stdout,
    );
    expect(stored.spec).toEqual(printed.spec);
    expect(stored.metadata.labels).toEqual(printed.metadata.labels);
    expect(Date.parse(stored.metadata.annotations![LAST_USED_ANNOTATION]!)).toBeGreaterThan(Date.now() - 120_000);
    // Applied server-side by the gateway's client-node, once.
    const applies = api.requests().filter((request) => request.method === "PATCH" && request.path.endsWith(`/services/${serviceName}`));
    expect(applies.map((request) => [request.contentType, request.query.fieldManager, request.query.force])).toEqual([
      ["application/apply-patch+yaml", "blender-on-demand", "true"],
    ]);

    // The agent's tool calls reached the pod through the Service's address, with its cluster host name.
    const toPod = standIn.requests().filter((request) => request.service === serviceName && request.path.startsWith("/mcp"));
    expect(toPod.length).toBeGreaterThan(0);
    expect(new Set(toPod.map((request) => request.host))).toEqual(new Set([`${serviceName}.${NAMESPACE}.svc.cluster.local`]));
    expect(toPod.every((request) => request.status === 200 || request.status === 202)).toBe(true);

    // The render is in the bucket, under the project, and the gateway serves it.
    const listed = await createS3Client(bucket.location).send(
      new ListObjectsV2Command({ Bucket: bucket.location.bucket, Prefix: bucket.location.prefix }),
    );
    const keys = (listed.Contents ?? []).map((object) => object.Key ?? "");
    expect(keys.some((key) => key.includes(`projects/${projectId}/artifacts/${turn.artifacts[0]!.id}`))).toBe(true);
    const response = await client.fetch(renderPath);
    expect(response.status).toBe(200);
    const png = PNG.sync.read(Buffer.from(await response.arrayBuffer()));
    const center = ((png.height / 2) * png.width + png.width / 2) * 4;
    const [red, green, blue] = [png.data[center]!, png.data[center + 1]!, png.data[center + 2]!];
    expect(red).toBeGreaterThan(green + 40);
    expect(red).toBeGreaterThan(blue + 40);

    // The badge comes from the informer: ready while the pod runs.
    expect((await badge()).state).toBe("ready");
  });

  it("wakes a second pod after the first is stopped, which restores the scene", async () => {
    const first = standIn.workerOf(serviceName)!;
    expect(first).toBeDefined();
    await standIn.scaleToZero(serviceName);
    await first.exited;
    await expect.poll(async () => (await badge()).state, { timeout: 15_000, interval: 100 }).toBe("asleep");

    const turn = await sendTurn("What is in the scene?");
    expect(turn.status, podLog.join("\n")).toBe("completed");
    expect(standIn.startsOf(serviceName)).toBe(2);
    const second = standIn.workerOf(serviceName)!;
    expect(second.id).not.toBe(first.id);
    const scene = turn.toolCalls.find((call) => call.name === "get_scene");
    const cube = scene?.result?.objects?.find((object) => object.name === "Cube");
    expect(cube, JSON.stringify(scene)).toBeDefined();
    expect((await badge()).state).toBe("ready");
  });

  it(`keeps a render longer than the Service's ${REQUEST_TIMEOUT_SECONDS} s request timeout streaming to the end`, async () => {
    const before = standIn.requests().length;
    const turn = await sendTurn("Render the scene in cycles at 640x360 with 256 samples");
    expect(turn.status, podLog.join("\n")).toBe("completed");
    expect(turn.artifacts).toHaveLength(1);
    const render = standIn
      .requests()
      .slice(before)
      .filter((request) => request.method === "POST" && request.path.startsWith("/mcp"))
      .sort((a, b) => b.durationMs - a.durationMs)[0]!;
    // The response started at once (the worker answers with an event stream and progress), so the
    // queue-proxy's start timeouts never fired although the render took longer than them.
    expect(render.durationMs).toBeGreaterThan(REQUEST_TIMEOUT_SECONDS * 1000);
    expect(render.firstByteMs).toBeLessThan(REQUEST_TIMEOUT_SECONDS * 1000);
    expect(render.timedOut).toBeUndefined();
    expect(standIn.requests().every((request) => request.timedOut === undefined)).toBe(true);
  });

  it("deletes the project's Service with the project, and its pod ends", async () => {
    const pod = standIn.workerOf(serviceName)!;
    expect((await client.fetch(`/api/projects/${projectId}`, { method: "DELETE" })).status).toBe(204);
    expect(api.get("services", NAMESPACE, serviceName)).toBeUndefined();
    await pod.exited;
    const deletes = api.requests().filter((request) => request.method === "DELETE" && request.path.endsWith(`/services/${serviceName}`));
    expect(deletes.length).toBeGreaterThanOrEqual(1);
    expect((await client.fetch(renderPath)).status).toBe(404);
    const listed = await createS3Client(bucket.location).send(
      new ListObjectsV2Command({ Bucket: bucket.location.bucket, Prefix: bucket.location.prefix }),
    );
    expect((listed.Contents ?? []).filter((object) => object.Key?.includes(projectId))).toEqual([]);
  });
});
