// The web UI in headless Chromium with artifacts in a real S3 bucket: the gateway answers an
// artifact link with a redirect to a presigned URL (another origin, a long query string), and the
// page still shows the render, opens the GLB in the 3D viewer, downloads it, and hides the
// presigned link the reply text carried, because it knows artifacts by id rather than by URL.
import type { Server } from "node:http";
import { PutBucketCorsCommand, type S3Client } from "@aws-sdk/client-s3";
import { createS3ArtifactStore, createS3Client, s3DownloadOrigin } from "@bod/storage/scale-out";
import { createTestBucket, type TestBucket } from "@bod/testing";
import { serve } from "@hono/node-server";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestGateway } from "../src/test-support/gateway-doubles.ts";

const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"];

/** A glTF 2.0 binary with one triangle: the smallest model the 3D viewer loads. */
function triangleGlb(): Buffer {
  const positions = Buffer.from(new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0]).buffer);
  const gltf = {
    asset: { version: "2.0" },
    scene: 0,
    scenes: [{ nodes: [0] }],
    nodes: [{ mesh: 0 }],
    meshes: [{ primitives: [{ attributes: { POSITION: 0 } }] }],
    buffers: [{ byteLength: positions.length }],
    bufferViews: [{ buffer: 0, byteOffset: 0, byteLength: positions.length }],
    accessors: [{ bufferView: 0, componentType: 5126, count: 3, type: "VEC3", min: [0, 0, 0], max: [1, 1, 0] }],
  };
  let json = Buffer.from(JSON.stringify(gltf));
  json = Buffer.concat([json, Buffer.alloc((4 - (json.length % 4)) % 4, 0x20)]);
  const chunk = (type: number, data: Buffer) => {
    const header = Buffer.alloc(8);
    header.writeUInt32LE(data.length, 0);
    header.writeUInt32LE(type, 4);
    return Buffer.concat([header, data]);
  };
  const body = Buffer.concat([chunk(0x4e4f534a, json), chunk(0x004e4942, positions)]);
  const header = Buffer.alloc(12);
  header.write("glTF", 0);
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(12 + body.length, 8);
  return Buffer.concat([header, body]);
}

let bucket: TestBucket;
let client: S3Client;
let browser: Browser;
let server: Server;
let gateway: Awaited<ReturnType<typeof createTestGateway>>;
let baseUrl: string;
let s3Origin: string;

beforeAll(async () => {
  bucket = await createTestBucket();
  client = createS3Client(bucket.location);
  // Presigned URLs are capabilities of their own; any page may read what one names. A fetch that
  // was redirected across origins sends `Origin: null`, so only "*" lets the viewer read it.
  await client.send(
    new PutBucketCorsCommand({
      Bucket: bucket.location.bucket,
      CORSConfiguration: { CORSRules: [{ AllowedOrigins: ["*"], AllowedMethods: ["GET", "HEAD"], AllowedHeaders: ["*"] }] },
    }),
  );
  s3Origin = await s3DownloadOrigin(bucket.location, client);
  gateway = await createTestGateway({
    artifactStore: createS3ArtifactStore({ location: bucket.location, client }),
    artifactOrigins: [s3Origin],
  });
  server = serve({ fetch: gateway.app.fetch, port: 0, hostname: "127.0.0.1" }) as Server;
  await new Promise((resolve) => (server.listening ? resolve(undefined) : server.once("listening", resolve)));
  const address = server.address();
  baseUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  await gateway?.close();
  client?.destroy();
  await bucket?.drop();
});

describe("web UI with presigned S3 artifacts", () => {
  it("shows the render, opens and downloads the GLB, and hides the presigned link in the reply", async () => {
    const created = await gateway.request("/api/projects", { method: "POST", token: gateway.alice, body: '{"name": "On S3"}' });
    const project = (await created.json()) as { id: string };
    const turn = await gateway.request(`/api/projects/${project.id}/messages`, {
      method: "POST",
      token: gateway.alice,
      body: '{"text": "render"}',
      headers: { accept: "application/json" },
    });
    expect(turn.status).toBe(200);
    // An export the reasoner wrote a presigned URL for, as a tool on S3 might report it.
    const glb = triangleGlb();
    const stored = await gateway.artifactStore.put({
      projectId: project.id,
      kind: "export",
      extension: "glb",
      mimeType: "model/gltf-binary",
      body: glb,
    });
    const presigned = await gateway.artifactStore.downloadUrl(project.id, stored.id, { expiresInSeconds: 600 });
    expect(presigned).toContain("X-Amz-Signature=");
    await gateway.state.appendMessage({
      projectId: project.id,
      turnId: "turn-export",
      role: "assistant",
      text: `Exported the scene as GLB: ${presigned}. Open it in any viewer.`,
      toolCalls: [],
      artifacts: [{ kind: "export", mimeType: "model/gltf-binary", url: presigned!, id: stored.id, bytes: stored.bytes }],
    });

    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const problems: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(error.message));
    const fromS3: Array<{ url: string; status: number }> = [];
    page.on("response", (response) => {
      if (response.url().startsWith(s3Origin)) fromS3.push({ url: response.url(), status: response.status() });
    });

    await page.goto(baseUrl);
    await page.getByLabel("API token").fill(gateway.alice);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator(".shell").waitFor();
    await page.goto(`${baseUrl}/#/p/${project.id}`);

    const image = page.locator(".message.assistant .render img").first();
    await image.waitFor();
    await expect
      .poll(() => image.evaluate((element: HTMLImageElement) => element.complete && element.naturalWidth), { timeout: 10_000 })
      .toBe(1);
    expect(fromS3.some((response) => response.url.includes("/artifacts/") && response.status === 200)).toBe(true);

    // The reply keeps its words but not the long link; the export card shows the file instead.
    const reply = (await page.locator(".message.assistant .reply").last().textContent()) ?? "";
    expect(reply).toContain("Exported the scene as GLB");
    expect(reply).not.toContain("http");

    const card = page.locator(".message.assistant .export-card").last();
    const download = await card.locator("a[download]").getAttribute("href");
    expect(download).toContain(`/api/projects/${project.id}/artifacts/${stored.id}?exp=`);
    const fetched = await page.evaluate(async (href) => {
      const response = await fetch(href);
      return { status: response.status, url: response.url, bytes: (await response.arrayBuffer()).byteLength };
    }, download!);
    expect(fetched).toEqual({ status: 200, url: expect.stringContaining(s3Origin), bytes: glb.length });

    await card.getByRole("button", { name: "View in 3D" }).click();
    const viewer = page.locator("dialog.viewer model-viewer");
    await viewer.waitFor();
    await expect
      .poll(() => viewer.evaluate((element) => (element as HTMLElement & { loaded: boolean }).loaded), { timeout: 30_000 })
      .toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });
});
