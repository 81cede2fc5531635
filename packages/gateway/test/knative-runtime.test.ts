// `bod gateway --runtime knative` against a Kubernetes API server on loopback, with the product's
// images run by podman: the gateway is the gateway image (localhost/blender-on-demand/gateway:dev,
// the host's network), reaching the API server through the real @kubernetes/client-node with a
// kubeconfig file mounted into the container (HTTPS with the server's CA, a bearer token); each
// pod of a project's Service is a container of the worker image, started with the Service's args
// and env (credentials only from the Secret it names), on the run's real PostgreSQL and S3 server.
// Through that, a user's red-cube turn sent to the gateway container creates the project's Service
// (exactly what `bod deploy worker-service` prints) and stores the render in the bucket; the first
// worker container is stopped (drain, snapshot) and the next turn wakes a second one, which
// restores the scene; a render longer than the Service's request timeout keeps its response
// streaming; deleting the project deletes its Service and the pod ends.
//
// What is not the real thing:
//   - The API server is `startKubeApiServer` of @bod/testing, a faithful fake of the routes the
//     backend uses (server-side apply, watch, Status bodies, preconditions; docs/testing.md), not a
//     real kube-apiserver: no admission webhooks, RBAC or garbage collection.
//   - Knative is a test-side stand-in (support/knative-stand-in.ts): it writes the Revisions and
//     statuses Knative's controller would, holds requests while a pod starts and forwards them with
//     the Service's host name (activator), applies the Service's timeouts (queue-proxy), and scales
//     to zero when the test says so. Knative's own controller, autoscaler, networking and DNS never
//     run; deploy/validate checks the Services against Knative's validation code offline.
//   - A pod is a plain podman container on the host's network, not a Kubernetes pod (no kubelet,
//     no probes run by a kubelet, no Kata); the readiness probe's path is what the stand-in polls.
// The images come from scripts/build-images.sh (reused when built before). Where podman cannot
// build or run them, the file fails under CI=true; elsewhere it says so and runs the gateway and
// the pods as processes of this checkout instead. BOD_TEST_KNATIVE=processes asks for that.
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { loadYaml } from "@bod/runtime-knative";
import { type buildWorkerService, LAST_USED_ANNOTATION, workerServiceName } from "@bod/runtime-knative/worker-service";
import { createS3Client } from "@bod/storage/scale-out";
import {
  createTestBucket,
  createTestDatabase,
  GATEWAY_IMAGE,
  IN_CI,
  type KubeApiServer,
  podman,
  prepareImages,
  startKubeApiServer,
  type TestBucket,
  type TestDatabase,
  WORKER_IMAGE,
} from "@bod/testing";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiClient } from "./support/api-client.ts";
import { startGatewayContainer } from "./support/gateway-container.ts";
import { startGatewayProcess } from "./support/gateway-process.ts";
import { type KnativeStandIn, startKnativeStandIn, startWorkerContainer, startWorkerProcess } from "./support/knative-stand-in.ts";
import { runBod } from "./support/serve-process.ts";

const NAMESPACE = "bod-workers";
/** The Service's timeoutSeconds and responseStartTimeoutSeconds here: far below a Cycles render. */
const REQUEST_TIMEOUT_SECONDS = 2;
/** Where the kubeconfig is mounted in the gateway container. */
const KUBECONFIG_IN_CONTAINER = "/etc/blender-on-demand/kubeconfig";

/**
 * How the gateway and the pods run: the images with podman (built or reused first, before the
 * tests are collected, so that their names say which), or processes of this checkout.
 */
const MODE = await chooseMode();

async function chooseMode(): Promise<"containers" | "processes"> {
  if (process.env.BOD_TEST_KNATIVE === "processes") return "processes";
  const images = await prepareImages();
  if (images.ok) {
    console.log(`images built or reused in ${images.buildSeconds.toFixed(0)} s`);
    return "containers";
  }
  if (IN_CI) throw new Error(`CI runs the Knative e2e with the gateway and worker images, and they cannot run here: ${images.reason}`);
  console.warn(
    `The Knative e2e runs the gateway and the pods as processes: podman cannot run the images here (${images.reason.split("\n")[0]}). Under CI=true this fails instead.`,
  );
  return "processes";
}

let database: TestDatabase;
let bucket: TestBucket;
let api: KubeApiServer;
let standIn: KnativeStandIn;
let gateway: { url: string; signInToken: string; log(): string; stop(): Promise<void> };
/** The gateway container's name, in container mode. */
let gatewayContainer: string | undefined;
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
  standIn = startKnativeStandIn({
    api,
    namespace: NAMESPACE,
    startWorker: MODE === "containers" ? startWorkerContainer() : startWorkerProcess(),
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
  const gatewayArgs = ["--runtime", "knative", "--kube-namespace", NAMESPACE, ...serviceFlags];
  const kubeconfig = await api.writeKubeconfig(NAMESPACE);
  if (MODE === "containers") {
    const container = await startGatewayContainer({
      args: gatewayArgs,
      env: { KUBECONFIG: KUBECONFIG_IN_CONTAINER },
      files: { [KUBECONFIG_IN_CONTAINER]: kubeconfig },
      passEnv: ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"],
    });
    gateway = container;
    gatewayContainer = container.name;
  } else gateway = await startGatewayProcess(gatewayArgs, { KUBECONFIG: kubeconfig });
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

/** The image a running container was started from. */
const imageOf = async (container: string) => (await podman(["inspect", "--format", "{{.ImageName}}", container])).trim();

const badge = () => client.json<Badge>(`/api/projects/${projectId}/instance`);

describe(`bod gateway --runtime knative (gateway and pods as ${MODE})`, () => {
  it("answers a user's red-cube turn through a Knative Service it creates for the project, and stores the render in the bucket", async () => {
    projectId = (await client.json<{ id: string }>("/api/projects", { method: "POST", body: JSON.stringify({ name: "Knative" }) })).id;
    serviceName = workerServiceName(projectId);
    expect((await badge()).state).toBe("asleep");
    expect(api.get("services", NAMESPACE, serviceName)).toBeUndefined();

    const turn = await sendTurn("Add a red cube and render the scene");
    expect(turn.status, podLog.join("\n")).toBe("completed");
    expect(turn.artifacts, `${JSON.stringify(turn)}\n${gateway.log()}`).toHaveLength(1);
    renderPath = new URL(turn.artifacts[0]!.url).pathname;
    if (MODE === "containers") {
      // The turn went through the gateway image, and the Service's pod is a container of the worker image.
      expect(await imageOf(gatewayContainer!)).toBe(GATEWAY_IMAGE);
      expect(await imageOf(standIn.workerOf(serviceName)!.id)).toBe(WORKER_IMAGE);
    }

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
    if (MODE === "containers") expect(await imageOf(second.id)).toBe(WORKER_IMAGE);
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
