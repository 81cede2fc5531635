// End-to-end tier: the container images, built here with buildah (scripts/build-images.sh, which
// reuses the cached base and layers) and run with podman the way this machine allows. The worker
// image serves one project from the run's real PostgreSQL and S3 server (reached over the host's
// loopback): /healthz, add_object and render_frame through the official MCP client, the render in
// the bucket, every process as uid 10001, the pod's host names from BOD_ALLOWED_HOSTS; `podman stop` (SIGTERM) drains it, leaving the scene's
// snapshot in S3, and a second container for the same project restores the scene. The gateway
// image runs `bod` and starts `bod gateway`. Where podman cannot build or run the images, the file
// fails under CI=true (.ci/run sets it) and elsewhere says why and skips.
import { request as httpRequest } from "node:http";
import { HeadObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { getScene } from "@bod/contracts";
import { createS3Client } from "@bod/storage/scale-out";
import {
  type Container,
  createTestBucket,
  createTestDatabase,
  freePort,
  GATEWAY_IMAGE,
  IN_CI,
  imageConfig,
  imageSize,
  prepareImages,
  runContainer,
  runOnce,
  type TestBucket,
  type TestDatabase,
  WORKER_IMAGE,
  waitForHttp,
} from "@bod/testing";
import { type CallToolResult, Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

/** The worker image's size aim (docs/images.md). */
const WORKER_IMAGE_LIMIT_BYTES = 1.2e9;
/** Credentials reach the container by name, never on its command line. */
const STORE_CREDENTIALS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "PGPASSWORD"];

// Built (or reused: seconds) before the tests are collected: a cold build takes minutes.
const images = await prepareImages();
if (images.ok) console.log(`images built or reused in ${images.buildSeconds.toFixed(0)} s`);
else if (IN_CI) throw new Error(`CI runs the images suite, and podman cannot build or run the images here: ${images.reason}`);
else
  console.warn(
    `Skipping the images suite: podman cannot build or run the images here (${images.reason.split("\n")[0]}). Under CI=true this fails instead.`,
  );

let database: TestDatabase;
let bucket: TestBucket;
const containers: Container[] = [];

beforeAll(async () => {
  if (images.ok) [database, bucket] = await Promise.all([createTestDatabase(), createTestBucket()]);
});

afterEach(async () => {
  for (const container of containers.splice(0)) await container.remove();
});

afterAll(async () => {
  await Promise.all([database?.drop(), bucket?.drop()]);
});

const storeEnvironment = () => ({ BOD_STATE_URL: database.url, BOD_ARTIFACT_URL: bucket.url });

/** The status of GET `path` on `url` sent with the Host header `host` (fetch may not set Host). */
function statusWithHost(url: string, path: string, host: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const request = httpRequest(new URL(path, url), { headers: { host } }, (response) => {
      response.resume();
      resolvePromise(response.statusCode ?? 0);
    });
    request.once("error", reject);
    request.end();
  });
}

async function startWorker(projectId: string, env: Record<string, string> = {}): Promise<{ container: Container; url: string }> {
  const port = await freePort();
  const container = await runContainer({
    image: WORKER_IMAGE,
    namePrefix: "bod-worker-test",
    // The image's command with a port of its own: the container shares the host's network.
    args: ["worker", "--host", "127.0.0.1", "--port", String(port), "--data-dir", "/tmp/bod-project"],
    env: { BOD_PROJECT_ID: projectId, ...storeEnvironment(), ...env },
    passEnv: STORE_CREDENTIALS,
  });
  containers.push(container);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, { since: performance.now(), timeoutMs: 60_000, container });
  return { container, url };
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: "images-e2e", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
  return result.structuredContent as Record<string, unknown>;
}

const projectKey = (projectId: string, path: string) =>
  [bucket.location.prefix, "projects", projectId, path].filter((part) => part !== "").join("/");

async function snapshotExists(projectId: string): Promise<boolean> {
  try {
    await createS3Client(bucket.location).send(
      new HeadObjectCommand({ Bucket: bucket.location.bucket, Key: projectKey(projectId, "scene/snapshot.blend") }),
    );
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === "NotFound") return false;
    throw error;
  }
}

describe.skipIf(!images.ok)("the worker image", () => {
  it("runs `bod worker` on port 8080 as uid 10001, stops on SIGTERM, has a healthcheck, and stays under 1.2 GB", async () => {
    const config = await imageConfig(WORKER_IMAGE);
    expect(config.User).toBe("10001:10001");
    expect(config.Entrypoint).toEqual(["/opt/bod/bin/bod"]);
    expect(config.Cmd?.slice(0, 5)).toEqual(["worker", "--host", "0.0.0.0", "--port", "8080"]);
    expect(Object.keys(config.ExposedPorts ?? {})).toEqual(["8080/tcp"]);
    expect(config.StopSignal).toBe("SIGTERM");
    expect(config.Healthcheck?.Test?.join(" ")).toContain("/healthz");
    expect(config.Env).toContain("NODE_COMPILE_CACHE=/opt/bod/.compile-cache");
    expect(await imageSize(WORKER_IMAGE)).toBeLessThan(WORKER_IMAGE_LIMIT_BYTES);

    // Blender, bubblewrap and Node are the image's own, only production packages came along, and
    // the compile cache was filled at build time.
    const inside = await runOnce(
      WORKER_IMAGE,
      [
        "-c",
        "id -u; node --version; blender --version | head -1; test -e node_modules/vitest && echo vitest; command -v bwrap >/dev/null && echo bwrap; find .compile-cache -type f | grep -c .",
      ],
      { entrypoint: "sh" },
    );
    expect(inside.code, inside.stderr).toBe(0);
    const [uid, nodeVersion, blenderVersion, ...rest] = inside.stdout.trim().split("\n");
    expect(uid).toBe("10001");
    expect(nodeVersion).toMatch(/^v24\./);
    expect(blenderVersion).toMatch(/^Blender 3\.4/);
    expect(rest).not.toContain("vitest");
    // run_script's nested sandbox, for workers whose operator allows scripts.
    expect(rest).toContain("bwrap");
    expect(Number(rest.at(-1))).toBeGreaterThan(0);
  });

  it("serves a project from PostgreSQL and S3, renders into the bucket, drains on SIGTERM, and a new container restores the scene", async () => {
    const projectId = `img-${Date.now().toString(36)}`;
    const first = await startWorker(projectId, { BOD_ALLOWED_HOSTS: "bod-img.ns.svc.cluster.local,bod-img.ns.svc" });

    // The DNS-rebinding guard answers the pod's names from BOD_ALLOWED_HOSTS, and no others.
    const missing = `/artifacts/${"0".repeat(32)}.png`;
    expect(await statusWithHost(first.url, missing, "bod-img.ns.svc.cluster.local")).toBe(404);
    expect(await statusWithHost(first.url, missing, "bod-img.ns.svc")).toBe(404);
    expect(await statusWithHost(first.url, missing, "attacker.example")).toBe(403);

    // Every process (Node and Blender) runs as the unprivileged user.
    const processes = await first.container.processes();
    expect(
      processes.some((process) => /^node .*main\.ts worker /.test(process.command)),
      JSON.stringify(processes),
    ).toBe(true);
    expect(
      processes.some((process) => /^(\/usr\/bin\/)?blender -b /.test(process.command)),
      JSON.stringify(processes),
    ).toBe(true);
    for (const process of processes) expect(["bod", "10001"], JSON.stringify(process)).toContain(process.user);
    // The image's own HEALTHCHECK command passes inside it (this machine has no systemd to
    // schedule it, so it runs on demand, on this container's port).
    const check = (await imageConfig(WORKER_IMAGE)).Healthcheck?.Test ?? [];
    expect(check[0]).toBe("CMD");
    const health = await first.container.exec(check.slice(1).map((word) => word.replace(":8080/", `:${new URL(first.url).port}/`)));
    expect(health.code, health.stdout + health.stderr).toBe(0);

    const client = await connect(first.url);
    await call(client, "add_object", { type: "cube", name: "ImageCube", color: "red" });
    const rendered = await call(client, "render_frame", { width: 96, height: 72, samples: 1 });
    expect(rendered).toMatchObject({ engine: "eevee", width: 96, height: 72 });
    const artifactId = (rendered.artifact as { id: string }).id;
    const listed = await createS3Client(bucket.location).send(
      new ListObjectsV2Command({ Bucket: bucket.location.bucket, Prefix: projectKey(projectId, "artifacts/") }),
    );
    const stored = listed.Contents?.find((object) => object.Key === projectKey(projectId, `artifacts/${artifactId}`));
    expect(stored?.Size).toBeGreaterThan(100);
    await client.close();

    // Two changes never make a snapshot; the drain on SIGTERM does, before the process exits 0.
    expect(await snapshotExists(projectId)).toBe(false);
    const stopped = await first.container.stop(30);
    expect(stopped.exitCode, await first.container.logs()).toBe(0);
    expect(await snapshotExists(projectId)).toBe(true);

    const second = await startWorker(projectId);
    const again = await connect(second.url);
    const scene = getScene.outputSchema.parse(await call(again, "get_scene"));
    expect(scene.objects.map((object) => object.name)).toEqual(["ImageCube"]);
    expect(scene.objects[0]?.material?.baseColor).toBe("#ff0000");
    await again.close();
    expect((await second.container.stop(30)).exitCode).toBe(0);
  });

  it("refuses an invalid BOD_PROJECT_ID and names the variable", async () => {
    const result = await runOnce(WORKER_IMAGE, ["worker", "--port", "0", "--data-dir", "/tmp/bod-project"], {
      env: { BOD_PROJECT_ID: "Not A Project" },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("BOD_PROJECT_ID");
  });
});

describe.skipIf(!images.ok)("the gateway image", () => {
  it("runs `bod` as uid 10001 with the same layout, without Blender", async () => {
    const config = await imageConfig(GATEWAY_IMAGE);
    expect(config.User).toBe("10001:10001");
    expect(config.Entrypoint).toEqual(["/opt/bod/bin/bod"]);
    expect(config.Cmd?.[0]).toBe("gateway");
    expect(config.StopSignal).toBe("SIGTERM");
    const help = await runOnce(GATEWAY_IMAGE, ["--help"]);
    expect(help.code, help.stderr).toBe(0);
    for (const command of ["serve", "gateway", "worker", "deploy", "bench"])
      expect(help.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, "m"));
    const inside = await runOnce(GATEWAY_IMAGE, ["-c", "id -u; command -v blender || echo no-blender"], { entrypoint: "sh" });
    expect(inside.stdout.trim().split("\n")).toEqual(["10001", "no-blender"]);
  });

  it("starts `bod gateway` on the shared stores and answers /healthz, then stops on SIGTERM", async () => {
    const port = await freePort();
    const container = await runContainer({
      image: GATEWAY_IMAGE,
      namePrefix: "bod-gateway-test",
      args: ["gateway", "--host", "127.0.0.1", "--port", String(port), "--data-dir", "/var/lib/blender-on-demand"],
      env: storeEnvironment(),
      passEnv: STORE_CREDENTIALS,
    });
    containers.push(container);
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, { since: performance.now(), timeoutMs: 60_000, container });
    expect((await container.stop(30)).exitCode, await container.logs()).toBe(0);
  });
});
