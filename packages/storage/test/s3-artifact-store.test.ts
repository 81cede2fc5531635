// The S3 store against a real S3 server: the ArtifactStore contract, then what only S3 has —
// the object layout and metadata, presigned URLs that expire, multipart uploads (and their abort
// at the size limit), and a server that is down or silent failing calls with
// ArtifactStoreUnavailableError within the documented deadline instead of hanging them.
import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { Readable } from "node:stream";
import { HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { createTestBucket } from "@bod/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArtifactStoreUnavailableError, ArtifactTooLargeError, type S3Location } from "../src/index.ts";
import { createS3ArtifactStore, createS3Client, s3DownloadOrigin } from "../src/scale-out.ts";
import { describeArtifactStoreContract } from "../src/testing.ts";

type TestBucket = Awaited<ReturnType<typeof createTestBucket>>;

describeArtifactStoreContract("s3", async () => {
  const bucket = await createTestBucket();
  const client = createS3Client(bucket.location, { requestTimeoutMs: 10_000 });
  return {
    store: createS3ArtifactStore({ location: bucket.location, client }),
    reopen: () => createS3ArtifactStore({ location: bucket.location }),
    async fetchDownload(url) {
      const response = await fetch(url);
      return { status: response.status, body: new Uint8Array(await response.arrayBuffer()) };
    },
    async close() {
      client.destroy();
      await bucket.drop();
    },
  };
});

const MiB = 1024 * 1024;

/** A stream of `total` pseudo-random bytes in 64 KiB chunks, and the SHA-256 of them all. */
function bigBody(total: number): { body: Readable; sha256: string } {
  const block = randomBytes(64 * 1024);
  const hash = createHash("sha256");
  const chunks: Buffer[] = [];
  for (let at = 0; at < total; at += block.length) {
    const chunk = block.subarray(0, Math.min(block.length, total - at));
    hash.update(chunk);
    chunks.push(chunk);
  }
  return { body: Readable.from(chunks), sha256: hash.digest("hex") };
}

async function sha256Of(body: Readable): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of body) hash.update(chunk as Uint8Array);
  return hash.digest("hex");
}

describe("S3 artifact store", () => {
  let bucket: TestBucket;
  let location: S3Location;
  let client: S3Client;
  beforeAll(async () => {
    bucket = await createTestBucket();
    location = { ...bucket.location, prefix: "tenant-a/bod" };
    client = createS3Client(location, { requestTimeoutMs: 10_000 });
  });
  afterAll(async () => {
    client?.destroy();
    await bucket?.drop();
  });

  it("keeps an artifact as one object under the prefix, its record in the object's metadata", async () => {
    const store = createS3ArtifactStore({ location, client });
    const record = await store.put({
      projectId: "p-layout",
      kind: "render",
      extension: "png",
      mimeType: "image/png",
      body: randomBytes(42),
    });
    const key = `tenant-a/bod/projects/p-layout/artifacts/${record.id}`;
    const listed = await client.send(new ListObjectsV2Command({ Bucket: location.bucket, Prefix: "tenant-a/" }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual([key]);
    const head = await client.send(new HeadObjectCommand({ Bucket: location.bucket, Key: key }));
    expect(head).toMatchObject({
      ContentType: "image/png",
      ContentLength: 42,
      Metadata: { kind: "render", "created-at": record.createdAt },
    });
  });

  it("gives presigned URLs that download as the artifact's file name and stop working when they expire", async () => {
    const store = createS3ArtifactStore({ location, client });
    const bytes = randomBytes(500);
    const { id } = await store.put({
      projectId: "p-presign",
      kind: "export",
      extension: "glb",
      mimeType: "model/gltf-binary",
      body: bytes,
    });
    const url = await store.downloadUrl("p-presign", id, { expiresInSeconds: 2 });
    expect(new URL(url!).searchParams.get("X-Amz-Expires")).toBe("2");
    const fresh = await fetch(url!);
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get("content-disposition")).toBe('attachment; filename="export.glb"');
    expect(Buffer.from(await fresh.arrayBuffer()).equals(bytes)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 3500));
    const expired = await fetch(url!);
    expect(expired.status).toBe(403);
    await expired.body?.cancel();
    // What a web page must allow to load it: the presigned URL's origin.
    expect(await s3DownloadOrigin(location, client)).toBe(new URL(url!).origin);
  });

  it("uploads a stream larger than a part as a multipart upload, and reads ranges across parts", async () => {
    const store = createS3ArtifactStore({ location, client, partSizeBytes: 5 * MiB, queueSize: 2 });
    const total = 12 * MiB + 12_345;
    const { body, sha256 } = bigBody(total);
    const record = await store.put({
      projectId: "p-multipart",
      kind: "export",
      extension: "blend",
      mimeType: "application/x-blender",
      body,
    });
    expect(record.bytes).toBe(total);
    // A multipart object's ETag ends with its part count.
    const head = await client.send(
      new HeadObjectCommand({ Bucket: location.bucket, Key: `tenant-a/bod/projects/p-multipart/artifacts/${record.id}` }),
    );
    expect(head.ETag).toMatch(/-3"$/);
    expect(await sha256Of((await store.get("p-multipart", record.id))!.body)).toBe(sha256);
    const across = await store.get("p-multipart", record.id, { range: { start: 5 * MiB - 10, end: 5 * MiB + 9 } });
    expect(across?.range).toEqual({ start: 5 * MiB - 10, end: 5 * MiB + 9 });
    const whole = Buffer.concat(await Readable.from((await store.get("p-multipart", record.id))!.body).toArray());
    expect(Buffer.concat(await across!.body.toArray()).equals(whole.subarray(5 * MiB - 10, 5 * MiB + 10))).toBe(true);
  });

  it("aborts a multipart upload that passes the size limit: no object, no parts left", async () => {
    const store = createS3ArtifactStore({ location, client, partSizeBytes: 5 * MiB, queueSize: 2 });
    const { body } = bigBody(16 * MiB);
    const refused = await store
      .put({ projectId: "p-overflow", kind: "upload", extension: "glb", mimeType: "model/gltf-binary", body, maxBytes: 11 * MiB })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ArtifactTooLargeError);
    expect(await store.list("p-overflow")).toEqual([]);
    const uploads = await client.send(
      new ListMultipartUploadsCommand({ Bucket: location.bucket, Prefix: "tenant-a/bod/projects/p-overflow/" }),
    );
    expect(uploads.Uploads ?? []).toEqual([]);
  });

  it("says the credentials were refused, and that the bucket is missing, without retrying in vain", async () => {
    const wrongKeys = new S3Client({
      region: location.region,
      forcePathStyle: location.forcePathStyle,
      ...(location.endpoint ? { endpoint: location.endpoint } : {}),
      credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? "", secretAccessKey: "not-the-secret" },
    });
    const denied = await createS3ArtifactStore({ location, client: wrongKeys })
      .list("p-denied")
      .catch((error: unknown) => error);
    expect(denied).toBeInstanceOf(ArtifactStoreUnavailableError);
    expect(denied).toMatchObject({ reason: "denied", operation: "list", retryAfterSeconds: undefined });
    expect((denied as Error).message).toMatch(/AWS_ACCESS_KEY_ID/);
    wrongKeys.destroy();
    const missing = await createS3ArtifactStore({ location: { ...location, bucket: `missing-${randomBytes(4).toString("hex")}` }, client })
      .list("p-missing")
      .catch((error: unknown) => error);
    expect(missing).toMatchObject({ reason: "missing_bucket" });
  });
});

describe("S3 artifact store, server down or silent", () => {
  let silent: Server;
  const sockets = new Set<Socket>();
  let silentPort: number;
  let closedPort: number;
  beforeAll(async () => {
    // Accepts connections and never answers: an S3 server that hangs.
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {});
    });
    silentPort = await new Promise<number>((resolve) =>
      silent.listen(0, "127.0.0.1", () => resolve((silent.address() as { port: number }).port)),
    );
    // A port that was free a moment ago: nothing listens there now.
    const probe = createServer();
    closedPort = await new Promise<number>((resolve) =>
      probe.listen(0, "127.0.0.1", () => resolve((probe.address() as { port: number }).port)),
    );
    await new Promise((resolve) => probe.close(resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent?.close(resolve));
  });

  const at = (port: number): S3Location => ({
    bucket: "artifacts",
    prefix: "",
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-east-1",
    forcePathStyle: true,
  });

  it("fails at once when nothing listens, naming the store and what to do", async () => {
    const location = at(closedPort);
    const store = createS3ArtifactStore({ location, client: createS3Client(location, { requestTimeoutMs: 1000 }), deadlineMs: 3000 });
    const startedAt = performance.now();
    for (const attempt of [
      () => store.head("p-1", `${"0".repeat(32)}.png`),
      () => store.put({ projectId: "p-1", kind: "render", extension: "png", mimeType: "image/png", body: randomBytes(10) }),
      () =>
        store.put({ projectId: "p-1", kind: "render", extension: "png", mimeType: "image/png", body: Readable.from([randomBytes(10)]) }),
    ]) {
      const error = await attempt().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ArtifactStoreUnavailableError);
      expect(error).toMatchObject({ reason: "unreachable", retryAfterSeconds: 5 });
      expect((error as Error).message).toContain(`s3://artifacts at http://127.0.0.1:${closedPort}`);
    }
    expect(performance.now() - startedAt).toBeLessThan(9000);
  });

  it("gives up on a silent server at the deadline, for calls and for streamed puts", async () => {
    const location = at(silentPort);
    const store = createS3ArtifactStore({
      location,
      client: createS3Client(location, { requestTimeoutMs: 800, maxAttempts: 2 }),
      deadlineMs: 1500,
    });
    let startedAt = performance.now();
    const listed = await store.list("p-1").catch((error: unknown) => error);
    expect(listed).toBeInstanceOf(ArtifactStoreUnavailableError);
    expect(listed).toMatchObject({ reason: "timeout", operation: "list" });
    expect(performance.now() - startedAt).toBeLessThan(1500 + 1000);

    // A streamed put has no overall deadline (it may be large): each request gives up after
    // requestTimeoutMs of silence, maxAttempts times at most.
    startedAt = performance.now();
    const put = await store
      .put({ projectId: "p-1", kind: "render", extension: "png", mimeType: "image/png", body: Readable.from([randomBytes(10)]) })
      .catch((error: unknown) => error);
    expect(put).toBeInstanceOf(ArtifactStoreUnavailableError);
    expect(put).toMatchObject({ reason: "timeout", operation: "put" });
    expect(performance.now() - startedAt).toBeLessThan(2 * 800 + 2000);
  });
});
