// The real servers the scale-out stores are tested against, checked for the behaviour those stores
// rely on: S3 conditional writes, multipart uploads, presigned URL expiry and ranged reads on
// versitygw; PostgreSQL advisory locks ending with their session; and the fault proxy's outages.
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createConnection } from "node:net";
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { parseS3Location } from "@bod/storage";
import { createS3Client } from "@bod/storage/scale-out";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createFaultProxy,
  createTestBucket,
  createTestDatabase,
  type FaultProxy,
  startPostgres,
  startS3Server,
  type TestBucket,
  type TestDatabase,
} from "../src/index.ts";

/** Settles `promise` into what happened, so a test can look at a call that may still be pending. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The HTTP status and error name of a rejected S3 call. */
async function s3Failure(call: Promise<unknown>): Promise<{ status?: number; name?: string }> {
  const error = (await call.then(
    () => undefined,
    (failure: unknown) => failure,
  )) as { $metadata?: { httpStatusCode?: number }; name?: string } | undefined;
  if (!error) throw new Error("The call succeeded; it was expected to be refused.");
  return { status: error.$metadata?.httpStatusCode, name: error.name };
}

async function connect(url: string, options: Partial<pg.ClientConfig> = {}): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, ...options });
  client.on("error", () => {});
  await client.connect();
  return client;
}

describe("the run's S3 server (versitygw)", () => {
  let bucket: TestBucket;
  let s3: S3Client;
  let name: string;
  beforeAll(async () => {
    bucket = await createTestBucket();
    s3 = createS3Client(bucket.location);
    name = bucket.location.bucket;
  });
  afterAll(async () => {
    s3?.destroy();
    await bucket?.drop();
  });

  it("gives a bucket whose URL the stores' parser reads back, empty", async () => {
    expect(parseS3Location(bucket.url)).toEqual(bucket.location);
    expect(bucket.url).toMatch(
      /^s3:\/\/bod-test-[0-9a-f]+\?endpoint=http%3A%2F%2F127\.0\.0\.1%3A\d+&region=us-east-1&forcePathStyle=true$/,
    );
    const listing = await s3.send(new ListObjectsV2Command({ Bucket: name }));
    expect(listing.KeyCount).toBe(0);
  });

  it("refuses a conditional PutObject (If-None-Match: *) on an existing key with 412, and lets exactly one of racing writers win", async () => {
    await s3.send(new PutObjectCommand({ Bucket: name, Key: "journal/1", Body: "first", IfNoneMatch: "*" }));
    expect(await s3Failure(s3.send(new PutObjectCommand({ Bucket: name, Key: "journal/1", Body: "second", IfNoneMatch: "*" })))).toEqual({
      status: 412,
      name: "PreconditionFailed",
    });
    const kept = await s3.send(new GetObjectCommand({ Bucket: name, Key: "journal/1" }));
    expect(await kept.Body?.transformToString()).toBe("first");

    const writers = await Promise.allSettled(
      Array.from({ length: 6 }, (_, index) =>
        s3.send(new PutObjectCommand({ Bucket: name, Key: "journal/2", Body: `writer ${index}`, IfNoneMatch: "*" })),
      ),
    );
    expect(writers.filter((writer) => writer.status === "fulfilled")).toHaveLength(1);
  });

  it("refuses a PutObject whose If-Match names another ETag with 412 and takes the current one", async () => {
    const first = await s3.send(new PutObjectCommand({ Bucket: name, Key: "snapshot", Body: "v1" }));
    await s3.send(new PutObjectCommand({ Bucket: name, Key: "snapshot", Body: "v2", IfMatch: first.ETag }));
    expect(
      await s3Failure(s3.send(new PutObjectCommand({ Bucket: name, Key: "snapshot", Body: "v3", IfMatch: first.ETag }))),
    ).toMatchObject({
      status: 412,
    });
    const current = await s3.send(new GetObjectCommand({ Bucket: name, Key: "snapshot" }));
    expect(await current.Body?.transformToString()).toBe("v2");
  });

  it("round-trips a 12 MiB multipart upload made by lib-storage's Upload", async () => {
    const body = randomBytes(12 * 1024 * 1024);
    const upload = new Upload({
      client: s3,
      params: { Bucket: name, Key: "renders/big.bin", Body: body, ContentType: "application/octet-stream" },
      partSize: 5 * 1024 * 1024,
      queueSize: 2,
    });
    const result = await upload.done();
    // A multipart object's ETag is "<md5 of the parts' md5s>-<part count>".
    expect(result.ETag).toMatch(/-3"$/);
    const head = await s3.send(new HeadObjectCommand({ Bucket: name, Key: "renders/big.bin" }));
    expect(head.ContentLength).toBe(body.length);
    const read = await s3.send(new GetObjectCommand({ Bucket: name, Key: "renders/big.bin" }));
    const bytes = Buffer.from((await read.Body?.transformToByteArray()) ?? []);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(createHash("sha256").update(body).digest("hex"));
  });

  it("serves a presigned GET at once and refuses it with 403 once it has expired", async () => {
    await s3.send(new PutObjectCommand({ Bucket: name, Key: "renders/frame.png", Body: "png bytes", ContentType: "image/png" }));
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: name, Key: "renders/frame.png" }), { expiresIn: 1 });
    const now = await fetch(url);
    expect(now.status).toBe(200);
    expect(now.headers.get("content-type")).toBe("image/png");
    expect(await now.text()).toBe("png bytes");
    // X-Amz-Date has whole seconds, so the URL ends between 1 and 2 s after signing.
    await sleep(2_100);
    const later = await fetch(url);
    expect(later.status).toBe(403);
    expect(await later.text()).toContain("AccessDenied");
    // Neither a URL pointed at another key nor an unsigned request gets through.
    const tampered = await getSignedUrl(s3, new GetObjectCommand({ Bucket: name, Key: "renders/frame.png" }), { expiresIn: 60 });
    expect((await fetch(tampered.replace("frame.png", "other.png"))).status).toBe(403);
    expect((await fetch(`${bucket.location.endpoint}/${name}/renders/frame.png`)).status).toBe(403);
  });

  it("returns the requested byte range with 206 and refuses one past the end with 416", async () => {
    await s3.send(new PutObjectCommand({ Bucket: name, Key: "exports/scene.glb", Body: "0123456789" }));
    const range = await s3.send(new GetObjectCommand({ Bucket: name, Key: "exports/scene.glb", Range: "bytes=2-5" }));
    expect(range.$metadata.httpStatusCode).toBe(206);
    expect(range.ContentRange).toBe("bytes 2-5/10");
    expect(await range.Body?.transformToString()).toBe("2345");
    const tail = await s3.send(new GetObjectCommand({ Bucket: name, Key: "exports/scene.glb", Range: "bytes=-3" }));
    expect(await tail.Body?.transformToString()).toBe("789");
    expect(await s3Failure(s3.send(new GetObjectCommand({ Bucket: name, Key: "exports/scene.glb", Range: "bytes=50-60" })))).toMatchObject({
      status: 416,
    });
  });

  it("gives each call a bucket of its own, and drop() removes it with its objects", async () => {
    const other = await createTestBucket();
    expect(other.location.bucket).not.toBe(name);
    const client = createS3Client(other.location);
    await client.send(new PutObjectCommand({ Bucket: other.location.bucket, Key: "a/b/c", Body: "x" }));
    await other.drop();
    expect(await s3Failure(client.send(new ListObjectsV2Command({ Bucket: other.location.bucket })))).toMatchObject({ status: 404 });
    await other.drop();
    client.destroy();
  });
});

describe("the run's PostgreSQL", () => {
  let database: TestDatabase;
  const clients: pg.Client[] = [];
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.end().catch(() => {})));
  });
  afterAll(async () => {
    await database?.drop();
  });

  it("gives each call a fresh, empty database, and drop() removes it even with sessions open", async () => {
    const client = await connect(database.url);
    clients.push(client);
    const { rows } = await client.query<{ name: string; tables: string }>(
      "select current_database() as name, (select count(*) from pg_tables where schemaname = 'public') as tables",
    );
    expect(database.url).toBe(`${process.env.BOD_TEST_POSTGRES_URL?.replace(/\/postgres$/, "")}/${rows[0]?.name}`);
    expect(rows[0]?.tables).toBe("0");

    const other = await createTestDatabase();
    expect(other.url).not.toBe(database.url);
    const open = await connect(other.url);
    await other.drop();
    await expect(connect(other.url)).rejects.toThrow(/does not exist/);
    await open.end().catch(() => {});
  });

  it("releases a session's advisory lock when its backend is killed", async () => {
    const holder = await connect(database.url);
    const other = await connect(database.url);
    clients.push(holder, other);
    await holder.query("select pg_advisory_lock(42)");
    expect((await other.query("select pg_try_advisory_lock(42) as got")).rows[0].got).toBe(false);
    const pid = (await holder.query("select pg_backend_pid() as pid")).rows[0].pid;
    expect((await other.query("select pg_terminate_backend($1) as done", [pid])).rows[0].done).toBe(true);
    await expect(holder.query("select 1")).rejects.toThrow();
    expect(await waitForLock(other, 42)).toBe(true);
  });

  it("releases a session's advisory lock when its connection drops on the client's side", async () => {
    const holder = await connect(database.url);
    const other = await connect(database.url);
    clients.push(holder, other);
    await holder.query("select pg_advisory_lock(7)");
    expect((await other.query("select pg_try_advisory_lock(7) as got")).rows[0].got).toBe(false);
    // The socket goes as a crashed gateway's would: no Terminate message, just a closed connection.
    (holder as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    expect(await waitForLock(other, 7)).toBe(true);
  });
});

/** Whether a process with this id runs (a zombie awaiting its parent counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** Tries `key` until the lock is free (true) or 5 s pass (false). */
async function waitForLock(client: pg.Client, key: number): Promise<boolean> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    if ((await client.query("select pg_try_advisory_lock($1) as got", [key])).rows[0].got) return true;
    await sleep(20);
  }
  return false;
}

describe("the fault proxy", () => {
  let database: TestDatabase;
  let proxy: FaultProxy;
  const clients: pg.Client[] = [];
  beforeAll(async () => {
    database = await createTestDatabase();
    const server = new URL(database.url);
    proxy = await createFaultProxy({ host: server.hostname, port: Number(server.port) });
  });
  afterEach(async () => {
    proxy.resume();
    proxy.delay(0);
    await proxy.accept();
    await Promise.all(clients.splice(0).map((client) => client.end().catch(() => {})));
  });
  afterAll(async () => {
    await proxy?.close();
    await database?.drop();
  });

  it("rewrites URLs to go through it", () => {
    expect(proxy.rewrite("postgres://postgres@127.0.0.1:5432/db?sslmode=disable")).toBe(
      `postgres://postgres@${proxy.address}/db?sslmode=disable`,
    );
    expect(proxy.rewrite("http://127.0.0.1:9000")).toBe(`http://${proxy.address}`);
    const s3Url = proxy.rewrite("s3://bucket/prefix?endpoint=http%3A%2F%2F127.0.0.1%3A9000&region=us-east-1&forcePathStyle=true");
    expect(parseS3Location(s3Url)).toMatchObject({ bucket: "bucket", prefix: "prefix", endpoint: `http://${proxy.address}` });
  });

  it("pause makes a query hang until resume, then it completes", async () => {
    const client = await connect(proxy.rewrite(database.url));
    clients.push(client);
    expect(proxy.connections).toBe(1);
    proxy.pause();
    const query = track(client.query("select 'through' as word"));
    // A new connection hangs too: the server never sees its startup message.
    const late = track(connect(proxy.rewrite(database.url)));
    await sleep(500);
    expect(query.settled).toBe(false);
    expect(late.settled).toBe(false);
    proxy.resume();
    await expect.poll(() => query.settled && late.settled, { timeout: 5_000 }).toBe(true);
    expect((query.value as pg.QueryResult).rows[0].word).toBe("through");
    clients.push(late.value as pg.Client);
    expect(((await (late.value as pg.Client).query("select 1 as one")) as pg.QueryResult).rows[0].one).toBe(1);
  });

  it("refuse fails an open session's query and new connections at once; accept lets them in again", async () => {
    const client = await connect(proxy.rewrite(database.url));
    clients.push(client);
    const started = performance.now();
    const query = client.query("select pg_sleep(5)");
    await sleep(50);
    await proxy.refuse();
    await expect(query).rejects.toThrow();
    await expect(connect(proxy.rewrite(database.url), { connectionTimeoutMillis: 5_000 })).rejects.toThrow(/ECONNREFUSED/);
    expect(performance.now() - started).toBeLessThan(1_000);
    // Raw TCP: the port is closed rather than open and silent.
    await expect(
      new Promise((resolve, reject) => createConnection({ host: proxy.host, port: proxy.port }).on("connect", resolve).on("error", reject)),
    ).rejects.toMatchObject({ code: "ECONNREFUSED" });
    await proxy.accept();
    const again = await connect(proxy.rewrite(database.url));
    clients.push(again);
    expect((await again.query("select 2 as two")).rows[0].two).toBe(2);
  });

  it("delay adds latency each way", async () => {
    const client = await connect(proxy.rewrite(database.url));
    clients.push(client);
    await client.query("select 1");
    proxy.delay(150);
    const started = performance.now();
    await client.query("select 1");
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    proxy.delay(0);
    const quick = performance.now();
    await client.query("select 1");
    expect(performance.now() - quick).toBeLessThan(150);
  });

  it("makes the S3 server unreachable for an S3 client with a request timeout while paused", async () => {
    const bucket = await createTestBucket();
    const s3Proxy = await createFaultProxy({ host: "127.0.0.1", port: Number(new URL(bucket.location.endpoint ?? "").port) });
    const location = parseS3Location(s3Proxy.rewrite(bucket.url));
    const client = createS3Client(location, { requestTimeoutMs: 400, maxAttempts: 1 });
    try {
      await client.send(new PutObjectCommand({ Bucket: location.bucket, Key: "k", Body: "v" }));
      s3Proxy.pause();
      const started = performance.now();
      await expect(client.send(new GetObjectCommand({ Bucket: location.bucket, Key: "k" }))).rejects.toThrow();
      expect(performance.now() - started).toBeLessThan(3_000);
      s3Proxy.resume();
      const read = await client.send(new GetObjectCommand({ Bucket: location.bucket, Key: "k" }));
      expect(await read.Body?.transformToString()).toBe("v");
    } finally {
      client.destroy();
      await s3Proxy.close();
      await bucket.drop();
    }
  });
});

describe("servers of a test's own", () => {
  it("PostgreSQL keeps committed rows through stop, kill (crash recovery) and restart on the same port", async () => {
    const server = await startPostgres();
    try {
      let client = await connect(server.url);
      await client.query("create table turns (id int primary key)");
      await client.query("insert into turns values (1)");
      const { rows } = await client.query("select pid as checkpointer from pg_stat_activity where backend_type = 'checkpointer'");
      expect(rows[0].checkpointer).toBeGreaterThan(0);
      const postmaster = server.pid;
      await server.kill();
      // The whole process tree goes at once, as in a crash: no checkpointer is left to flush.
      expect(() => process.kill(postmaster, 0)).toThrow();
      await expect.poll(() => alive(rows[0].checkpointer), { timeout: 2_000 }).toBe(false);
      await expect(client.query("select 1")).rejects.toThrow();
      await expect(connect(server.url, { connectionTimeoutMillis: 2_000 })).rejects.toThrow();
      await server.restart();
      client = await connect(server.url);
      await client.query("insert into turns values (2)");
      await client.end();
      await server.stop();
      await server.restart();
      client = await connect(server.url);
      expect((await client.query("select array_agg(id order by id) as ids from turns")).rows[0].ids).toEqual([1, 2]);
      await client.end();
    } finally {
      await server.destroy();
    }
  });

  it("the S3 server keeps objects through kill and restart on the same port", async () => {
    // The run's keys, which the SDK reads from the environment, so that its clients sign for this server too.
    const server = await startS3Server({ accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY });
    try {
      const location = { bucket: "own", prefix: "", endpoint: server.endpoint, region: server.region, forcePathStyle: true };
      const client = createS3Client(location, { maxAttempts: 1, requestTimeoutMs: 2_000 });
      await client.send(new CreateBucketCommand({ Bucket: "own" }));
      await client.send(new PutObjectCommand({ Bucket: "own", Key: "k", Body: "kept" }));
      await server.kill();
      await expect(client.send(new GetObjectCommand({ Bucket: "own", Key: "k" }))).rejects.toThrow();
      await server.restart();
      const read = await client.send(new GetObjectCommand({ Bucket: "own", Key: "k" }));
      expect(await read.Body?.transformToString()).toBe("kept");
      client.destroy();
    } finally {
      await server.destroy();
    }
  });
});
