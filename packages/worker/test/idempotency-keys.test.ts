// End-to-end tier: idempotency keys in real Blender, over the files scene store and the scale-out
// one (journal in a real PostgreSQL, snapshots in a real S3 server). A keyed change acknowledged
// before Blender is killed with SIGKILL answers its retry with the first result and is in the
// scene once; so it does after a snapshot folded its entry in, in a new engine that restored the
// scene (another worker, on the same or on shared stores), and where the worker died after the
// entry was written ahead but before its result was. The keys a snapshot keeps travel through
// Blender's .blend file intact, a megabyte of them too.
import { randomBytes } from "node:crypto";
import { appendFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getScene } from "@bod/contracts";
import type { SceneStore } from "@bod/storage";
import { createPostgresS3SceneStore } from "@bod/storage/scale-out";
import { createTestBucket, createTestDatabase, type TestBucket, type TestDatabase } from "@bod/testing";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createBlenderProcess,
  createSceneEngine,
  type SceneCallIdempotency,
  type SceneEngine,
  type SceneEngineOptions,
} from "../src/blender/index.ts";

const logger = pino({ level: process.env.BOD_TEST_LOG ?? "silent" });

let root: string;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "bod-keys-e2e-"));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

async function startEngine(options: Omit<SceneEngineOptions, "logger">): Promise<SceneEngine> {
  const engine = createSceneEngine({ logger, ...options });
  cleanups.push(() => engine.stop());
  await engine.start();
  return engine;
}

async function objectNames(engine: SceneEngine): Promise<string[]> {
  const scene = getScene.outputSchema.parse(await engine.call("get_scene", { limit: 500 }));
  return scene.objects.map((object) => object.name).sort();
}

/** A keyed add_object of a cube, as the MCP layer would send it (the request digest stands for its input). */
function cube(key: string): ["add_object", Record<string, unknown>, { idempotency: SceneCallIdempotency }] {
  return ["add_object", { type: "cube" }, { idempotency: { key, request: `add_object cube ${key}` } }];
}

/** Kills the engine's Blender and waits until a new one holds the scene. */
async function killBlender(engine: SceneEngine): Promise<void> {
  const pid = engine.blenderPid;
  if (pid === undefined) throw new Error("no Blender to kill");
  process.kill(pid, "SIGKILL");
  await expect.poll(() => engine.blenderPid !== undefined && engine.blenderPid !== pid, { timeout: 60_000, interval: 20 }).toBe(true);
}

describe("idempotency keys in real Blender", () => {
  it("answers a retry after kill -9 of Blender with the first result, across a snapshot and in a new engine, and applies it once", async () => {
    const dataDir = join(root, "files");
    const first = await startEngine({ dataDir, snapshotEvery: 3 });
    const added = await first.begin(...cube("k-1"));
    await added.saved;
    expect(added.result).toMatchObject({ object: { name: "Cube" } });

    await killBlender(first);
    const retried = await first.begin(...cube("k-1"));
    expect(retried).toMatchObject({ repeated: true, result: added.result });
    expect(await objectNames(first)).toEqual(["Cube"]);

    // Two more keyed changes: the third entry makes a snapshot, and the journal lines go.
    await first.call(...cube("k-2"));
    await first.call(...cube("k-3"));
    // The snapshot is taken before the next call runs: once this read is answered, it is stored.
    await first.call("ping", {});
    expect(await readFile(join(dataDir, "scene", "journal.jsonl"), "utf8")).toBe("");
    expect((await first.begin(...cube("k-1"))).repeated).toBe(true);
    await killBlender(first);
    expect((await first.begin(...cube("k-2"))).repeated).toBe(true);
    expect(await objectNames(first)).toEqual(["Cube", "Cube.001", "Cube.002"]);
    await first.stop();

    // A new worker on the same folder restores the scene and its keys from the snapshot.
    const second = await startEngine({ dataDir });
    for (const key of ["k-1", "k-2", "k-3"]) expect((await second.begin(...cube(key))).repeated).toBe(true);
    expect((await second.begin(...cube("k-1"))).result).toEqual(added.result);
    expect(await objectNames(second)).toEqual(["Cube", "Cube.001", "Cube.002"]);
    // The same key with another request is refused; a new key applies.
    await expect(second.call("add_object", { type: "cone" }, { idempotency: { key: "k-1", request: "add_object cone" } })).rejects.toThrow(
      /already used for another call/,
    );
    await second.call(...cube("k-4"));
    expect(await objectNames(second)).toEqual(["Cube", "Cube.001", "Cube.002", "Cube.003"]);
  });

  it("knows the key of a change whose worker died after writing it ahead: the restore's replay gives its result", async () => {
    const dataDir = join(root, "ahead");
    const first = await startEngine({ dataDir });
    await first.call("add_object", { type: "cone", name: "Before" });
    await first.stop();
    // What a worker killed mid-call leaves: the keyed entry written ahead, no result line.
    await appendFile(
      join(dataDir, "scene", "journal.jsonl"),
      `${JSON.stringify({ seq: 99, command: "add_object", args: { type: "cube" }, at: new Date().toISOString(), key: "k-ahead", request: "add_object cube k-ahead" })}\n`,
    );
    const second = await startEngine({ dataDir });
    expect(await objectNames(second)).toEqual(["Before", "Cube"]);
    const retried = await second.begin(...cube("k-ahead"));
    expect(retried.repeated).toBe(true);
    expect(retried.result).toMatchObject({ object: { name: "Cube", type: "MESH" } });
    expect(await objectNames(second)).toEqual(["Before", "Cube"]);
  });

  it("carries a megabyte of kept keys through a .blend snapshot", async () => {
    const blender = createBlenderProcess({ logger });
    cleanups.push(() => blender.stop());
    await blender.start();
    const keys = JSON.stringify(
      Array.from({ length: 2_000 }, (_, index) => ({
        key: `key-${index}-${"x".repeat(100)}`,
        request: "d".repeat(43),
        seq: index + 1,
        at: new Date().toISOString(),
        result: { object: { name: `Cube.${index}`, note: 'é ✓ " \\ \n' } },
      })),
    );
    expect(keys.length).toBeGreaterThan(400_000);
    const path = join(root, "keys.blend");
    await blender.call("save_snapshot", { path, journalSeq: 2_000, keys }, { timeoutMs: 60_000 });
    await blender.call("reset_scene", {});
    const loaded = (await blender.call("load_snapshot", { path }, { timeoutMs: 60_000 })) as { journalSeq: number; keys: string };
    expect(loaded.journalSeq).toBe(2_000);
    expect(loaded.keys).toBe(keys);
  });
});

describe("idempotency keys over PostgreSQL + S3", () => {
  let database: TestDatabase;
  let bucket: TestBucket;
  beforeAll(async () => {
    [database, bucket] = await Promise.all([createTestDatabase(), createTestBucket()]);
  });
  afterAll(async () => {
    await Promise.all([database?.drop(), bucket?.drop()]);
  });

  function sceneStore(): SceneStore {
    const store = createPostgresS3SceneStore({ postgresUrl: database.url, s3: bucket.url });
    cleanups.push(() => store.close());
    return store;
  }

  it("answers retries with the first results in engines elsewhere, after kill -9 and across a snapshot", async () => {
    const projectId = `p-${randomBytes(4).toString("hex")}`;
    const first = await startEngine({
      dataDir: await mkdtemp(join(root, "worker-")),
      sceneStore: sceneStore(),
      projectId,
      snapshotEvery: 2,
    });
    const results = [];
    // Two entries make a snapshot (its keys go into S3 with it); the third stays in PostgreSQL.
    for (const key of ["s-1", "s-2", "s-3"]) results.push(await first.call(...cube(key)));
    process.kill(first.blenderPid!, "SIGKILL");

    const second = await startEngine({ dataDir: await mkdtemp(join(root, "worker-")), sceneStore: sceneStore(), projectId });
    for (const [index, key] of ["s-1", "s-2", "s-3"].entries()) {
      const retried = await second.begin(...cube(key));
      expect(retried).toMatchObject({ repeated: true, result: results[index] });
    }
    expect(await objectNames(second)).toEqual(["Cube", "Cube.001", "Cube.002"]);
    await second.stop();
    await first.stop();

    // After a clean stop folded everything into a snapshot, a third engine still knows every key.
    const third = await startEngine({ dataDir: await mkdtemp(join(root, "worker-")), sceneStore: sceneStore(), projectId });
    for (const key of ["s-1", "s-2", "s-3"]) expect((await third.begin(...cube(key))).repeated).toBe(true);
    expect(await objectNames(third)).toEqual(["Cube", "Cube.001", "Cube.002"]);
  });
});
