// End-to-end tier: texture and world images over the scale-out scene store (journal in a real
// PostgreSQL, snapshot and kept files in a real S3 server). The image files a change read are gone
// once it is acknowledged; an engine in another folder restores them from the journal's kept files
// in S3, and, after a clean stop, from the images packed into the snapshot.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getScene } from "@bod/contracts";
import { createPostgresS3SceneStore } from "@bod/storage/scale-out";
import { createTestBucket, createTestDatabase, type TestBucket, type TestDatabase } from "@bod/testing";
import pino from "pino";
import { PNG } from "pngjs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createSceneEngine, type SceneEngine } from "../src/blender/index.ts";
import { decodePng } from "./support/png.ts";

const logger = pino({ level: process.env.BOD_TEST_LOG ?? "silent" });

let database: TestDatabase;
let bucket: TestBucket;
let root: string;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  [database, bucket] = await Promise.all([createTestDatabase(), createTestBucket()]);
  root = await mkdtemp(join(tmpdir(), "bod-texture-store-"));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});
afterAll(async () => {
  await Promise.all([database?.drop(), bucket?.drop()]);
  if (root) await rm(root, { recursive: true, force: true });
});

function store() {
  const created = createPostgresS3SceneStore({ postgresUrl: database.url, s3: bucket.url });
  cleanups.push(() => created.close());
  return created;
}

/** An engine with a folder and a store of its own, as a worker on another machine has. */
async function startEngine(projectId: string): Promise<SceneEngine> {
  const engine = createSceneEngine({ logger, dataDir: await mkdtemp(join(root, "worker-")), sceneStore: store(), projectId });
  cleanups.push(() => engine.stop());
  await engine.start();
  return engine;
}

function checkerboard(size: number): Buffer {
  const png = new PNG({ width: size, height: size });
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const red = (Math.floor((2 * x) / size) + Math.floor((2 * y) / size)) % 2 === 0;
      png.data.set(red ? [230, 20, 20, 255] : [20, 20, 230, 255], (y * size + x) * 4);
    }
  }
  return PNG.sync.write(png);
}

/** Fractions of the render's pixels that are clearly red and clearly blue. */
async function colours(engine: SceneEngine): Promise<{ red: number; blue: number }> {
  const output = join(root, `render-${randomBytes(4).toString("hex")}.png`);
  await engine.call("render_frame", { engine: "cycles", width: 40, height: 40, samples: 2, output });
  const png = decodePng(await readFile(output));
  let red = 0;
  let blue = 0;
  for (let offset = 0; offset < png.data.length; offset += 4) {
    const [r, g, b] = [png.data[offset]!, png.data[offset + 1]!, png.data[offset + 2]!];
    if (r > 60 && r > 2 * g && r > 2 * b) red++;
    if (b > 60 && b > 2 * g && b > 2 * r) blue++;
  }
  return { red: red / (png.width * png.height), blue: blue / (png.width * png.height) };
}

async function texturesOf(engine: SceneEngine) {
  const scene = getScene.outputSchema.parse(await engine.call("get_scene", {}));
  return { maps: scene.objects.find((object) => object.name === "Floor")?.material?.maps, world: scene.world };
}

describe("texture and world images over PostgreSQL + S3", () => {
  it("come back in an engine elsewhere from the journal's kept files, and from the snapshot after a clean stop", async () => {
    const projectId = `p-${randomBytes(4).toString("hex")}`;
    const first = await startEngine(projectId);
    const images = await mkdtemp(join(root, "images-"));
    const checker = join(images, "checker.png");
    await writeFile(checker, checkerboard(32));
    // What the worker sends: the image as a local file and the artifact it is.
    const artifactId = `${randomBytes(16).toString("hex")}.png`;
    await first.call("add_object", { type: "plane", name: "Floor", scale: [2, 2, 2] });
    await first.call("set_texture", { object: "Floor", map: "base_color", artifactId, path: checker, scale: [2, 2, 2] });
    await first.call("set_world_hdri", { artifactId, path: checker, strength: 0.5, rotation: 30 });
    await first.call("set_camera", { location: [0, 0, 6], target: [0, 0, 0] });
    await rm(images, { recursive: true });
    const acknowledged = await texturesOf(first);
    expect(acknowledged).toEqual({
      maps: [{ map: "base_color", artifactId, projection: "existing", scale: 2 }],
      world: expect.objectContaining({ kind: "hdri", strength: 0.5, hdri: { artifactId, rotation: 30 } }),
    });

    // The journal names the kept file, not the path the call read.
    const check = await store().open(projectId);
    const entry = (await check.readJournal()).find((line) => line.command === "set_texture") as { args?: Record<string, unknown> };
    expect(entry.args).toMatchObject({ artifactId, sceneFile: expect.stringMatching(/^[0-9a-f-]{36}\/checker\.png$/) });
    expect(entry.args?.path).toBeUndefined();
    const kept = String(entry.args?.sceneFile);
    await check.close();

    // The worker dies without a snapshot; one elsewhere replays the journal with the files from S3.
    process.kill(first.blenderPid!, "SIGKILL");
    const second = await startEngine(projectId);
    expect(await texturesOf(second)).toEqual(acknowledged);
    const replayed = await colours(second);
    expect(replayed.red, JSON.stringify(replayed)).toBeGreaterThan(0.15);
    expect(replayed.blue, JSON.stringify(replayed)).toBeGreaterThan(0.15);
    await second.stop();
    await first.stop();

    // The clean stop folded the journal into a snapshot and let the kept files go: the images are packed in it.
    const third = await startEngine(projectId);
    expect(await texturesOf(third)).toEqual(acknowledged);
    const restored = await colours(third);
    expect(restored.red, JSON.stringify(restored)).toBeGreaterThan(0.15);
    expect(restored.blue, JSON.stringify(restored)).toBeGreaterThan(0.15);
    const opened = await store().open(projectId);
    expect((await opened.readJournal()).filter((line) => line.void !== true)).toEqual([]);
    expect(await opened.getFile(kept, join(root, "kept.png"))).toBe(false);
    await opened.close();
  });
});
