// End-to-end tier: the scale-out scene store (journal in PostgreSQL, snapshot and files in S3)
// passes the SceneStore contract against the run's real servers, and fails within its deadline
// with SceneStoreUnavailableError when a server is paused, refuses connections or is missing,
// keeping what was acknowledged and working again once the server is back.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatS3Location } from "@bod/storage";
import { describeSceneStoreContract } from "@bod/storage/testing";
import { createFaultProxy, createTestBucket, createTestDatabase, type FaultProxy, type TestBucket, type TestDatabase } from "@bod/testing";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createPostgresS3SceneStore } from "../src/postgres-s3-scene-store.ts";
import type { SceneStore } from "../src/scene-store.ts";
import { SceneStoreUnavailableError } from "../src/scene-store-unavailable-error.ts";

describeSceneStoreContract("PostgreSQL + S3", async () => {
  const [database, bucket] = await Promise.all([createTestDatabase(), createTestBucket()]);
  // Under a key prefix, as a shared bucket would be used.
  const s3 = formatS3Location({ ...bucket.location, prefix: "tenant/scenes" });
  const store = createPostgresS3SceneStore({ postgresUrl: database.url, s3 });
  const others: SceneStore[] = [];
  return {
    store,
    reopen() {
      const other = createPostgresS3SceneStore({ postgresUrl: database.url, s3 });
      others.push(other);
      return other;
    },
    async close() {
      await store.close();
      await Promise.all(others.map((other) => other.close()));
      await Promise.all([database.drop(), bucket.drop()]);
    },
  };
});

const line = (seq: number, name = `O${seq}`) => ({ seq, command: "add_object", args: { type: "cube", name }, at: "t" });

/** How long `promise` took to reject, and with what. */
async function rejection(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const startedAt = performance.now();
  try {
    await promise;
  } catch (error) {
    return { error, ms: performance.now() - startedAt };
  }
  throw new Error("expected a rejection");
}

describe("PostgreSQL + S3 scene store when a server fails", () => {
  const TIMEOUT_MS = 1_000;
  let database: TestDatabase;
  let bucket: TestBucket;
  let local: string;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    [database, bucket] = await Promise.all([createTestDatabase(), createTestBucket()]);
    local = await mkdtemp(join(tmpdir(), "bod-scene-faults-"));
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await Promise.all([database?.drop(), bucket?.drop()]);
    if (local) await rm(local, { recursive: true, force: true });
  });

  async function proxyTo(url: string): Promise<FaultProxy> {
    const target = new URL(url);
    const proxy = await createFaultProxy({ host: target.hostname, port: Number(target.port) });
    cleanups.push(() => proxy.close());
    return proxy;
  }

  function storeWith(postgresUrl: string, s3: string): SceneStore {
    const store = createPostgresS3SceneStore({ postgresUrl, s3, timeoutMs: TIMEOUT_MS });
    cleanups.push(() => store.close());
    return store;
  }

  const projectId = () => `fault-${randomBytes(4).toString("hex")}`;

  it("fails an append within the deadline while PostgreSQL is paused, and appends again once it is back", async () => {
    const proxy = await proxyTo(database.url);
    const store = storeWith(proxy.rewrite(database.url), bucket.url);
    const scene = await store.open(projectId());
    await scene.appendJournal(line(1));

    proxy.pause();
    const { error, ms } = await rejection(scene.appendJournal(line(2)));
    expect(error).toBeInstanceOf(SceneStoreUnavailableError);
    expect((error as SceneStoreUnavailableError).backend).toBe("postgresql");
    expect((error as Error).message).toMatch(/append a journal line: PostgreSQL at 127\.0\.0\.1:\d+ did not answer within 1000 ms/);
    expect(ms).toBeLessThan(TIMEOUT_MS + 500);
    // A read fails the same way rather than hanging.
    expect((await rejection(scene.readJournal())).error).toBeInstanceOf(SceneStoreUnavailableError);

    proxy.resume();
    await scene.appendJournal(line(3));
    // What was acknowledged is there, in order; the line whose append failed is there whole or not at all.
    const seqs = (await scene.readJournal()).map((kept) => kept.seq);
    expect([
      [1, 3],
      [1, 2, 3],
    ]).toContainEqual(seqs);
  });

  it("fails at once while PostgreSQL refuses connections, and works when it accepts again", async () => {
    const proxy = await proxyTo(database.url);
    const store = storeWith(proxy.rewrite(database.url), bucket.url);
    const scene = await store.open(projectId());
    await scene.appendJournal(line(1));
    await proxy.refuse();
    const { error, ms } = await rejection(scene.appendJournal(line(2)));
    expect(error).toBeInstanceOf(SceneStoreUnavailableError);
    expect(ms).toBeLessThan(TIMEOUT_MS + 500);
    await proxy.accept();
    await scene.appendJournal(line(3));
    expect((await scene.readJournal()).map((kept) => kept.seq)).toEqual([1, 3]);
  });

  it("fails to open a project within the deadline when nothing listens where PostgreSQL should be", async () => {
    const proxy = await proxyTo(database.url);
    const url = proxy.rewrite(database.url);
    await proxy.close();
    const store = storeWith(url, bucket.url);
    const { error, ms } = await rejection(store.open(projectId()));
    expect(error).toBeInstanceOf(SceneStoreUnavailableError);
    expect((error as Error).message).toMatch(/PostgreSQL at 127\.0\.0\.1:\d+/);
    expect(ms).toBeLessThan(TIMEOUT_MS + 500);
  });

  it("fails a snapshot write while S3 is paused, keeps the old snapshot whole, and writes once S3 is back", async () => {
    const proxy = await proxyTo(bucket.location.endpoint as string);
    const store = storeWith(database.url, proxy.rewrite(bucket.url));
    const scene = await store.open(projectId());
    const old = join(local, "old.blend");
    await writeFile(old, "the old snapshot");
    await scene.writeSnapshot(old);

    const next = join(local, "next.blend");
    await writeFile(next, randomBytes(6 * 1024 * 1024));
    proxy.pause();
    const { error, ms } = await rejection(scene.writeSnapshot(next));
    expect(error).toBeInstanceOf(SceneStoreUnavailableError);
    expect((error as SceneStoreUnavailableError).backend).toBe("s3");
    // One request timeout, then one retry.
    expect(ms).toBeLessThan(3 * TIMEOUT_MS + 1_000);
    proxy.resume();

    const read = join(local, "read.blend");
    expect(await scene.readSnapshot(read)).toBe(true);
    expect(await readFile(read, "utf8")).toBe("the old snapshot");
    await scene.writeSnapshot(next);
    expect(await scene.readSnapshot(read)).toBe(true);
    expect((await readFile(read)).equals(await readFile(next))).toBe(true);
  });

  it("says the bucket is missing rather than that the project has no snapshot", async () => {
    const missing = formatS3Location({ ...bucket.location, bucket: `bod-missing-${randomBytes(4).toString("hex")}` });
    const store = storeWith(database.url, missing);
    const scene = await store.open(projectId());
    const { error } = await rejection(scene.readSnapshot(join(local, "none.blend")));
    expect(error).toBeInstanceOf(SceneStoreUnavailableError);
    expect((error as Error).message).toMatch(/NoSuchBucket/);
  });

  it("creates its tables once, even when several stores open at the same time", async () => {
    const fresh = await createTestDatabase();
    cleanups.push(() => fresh.drop());
    const stores = Array.from({ length: 4 }, () => storeWith(fresh.url, bucket.url));
    await Promise.all(stores.map((store) => store.open(projectId())));
    const client = new pg.Client({ connectionString: fresh.url });
    await client.connect();
    try {
      const { rows } = await client.query("select version from scene_journal_schema_version order by version");
      expect(rows).toEqual([{ version: 1 }, { version: 2 }]);
    } finally {
      await client.end();
    }
  });
});
