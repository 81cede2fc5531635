// End-to-end tier: the scene engine driving real headless Blender. Every tool command runs through
// the bridge and its result is checked against the contracts' output schemas; renders are decoded
// and their pixels checked; exports are parsed; Blender is killed, hung and restarted to check that
// the scene always comes back as of the last acknowledged call. One engine serves most tests.
import { type ChildProcess, spawn } from "node:child_process";
import { cp, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  addLight,
  addObject,
  clearScene,
  colorToLinear,
  deleteObject,
  duplicateObject,
  getScene,
  IMPORT_FORMATS,
  OBJECT_TYPES,
  setCamera,
  setMaterial,
  setWorld,
  type ToolError,
  updateObject,
} from "@bod/contracts";
import pino from "pino";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSceneEngine, type SceneEngine, type SpawnFunction } from "../src/blender/index.ts";
import { failure } from "../src/blender/testing/test-support.ts";

const logger = pino({ level: process.env.BOD_TEST_LOG ?? "silent" });
const hooks = { BOD_BRIDGE_TEST_HOOKS: "1" };

type Scene = ReturnType<typeof getScene.outputSchema.parse>;

let root: string;
let dataDir: string;
let engine: SceneEngine;

async function scene(target: SceneEngine = engine): Promise<Scene> {
  return getScene.outputSchema.parse(await target.call("get_scene", { limit: 500 }));
}

/** The direction an object with Blender XYZ Euler rotation (degrees) looks along (its -Z axis). */
function lookDirection(rotation: number[]): [number, number, number] {
  const [x, y, z] = rotation.map((degrees) => (degrees * Math.PI) / 180) as [number, number, number];
  // R = Rz * Ry * Rx applied to (0, 0, -1).
  const v1: [number, number, number] = [0, Math.sin(x), -Math.cos(x)];
  const v2: [number, number, number] = [v1[0] * Math.cos(y) + v1[2] * Math.sin(y), v1[1], -v1[0] * Math.sin(y) + v1[2] * Math.cos(y)];
  return [v2[0] * Math.cos(z) - v2[1] * Math.sin(z), v2[0] * Math.sin(z) + v2[1] * Math.cos(z), v2[2]];
}

function expectAimedAt(location: number[], rotation: number[], target: [number, number, number]) {
  const toTarget = target.map((value, index) => value - (location[index] ?? 0));
  const length = Math.hypot(...toTarget);
  const look = lookDirection(rotation);
  toTarget.forEach((value, index) => {
    expect(look[index]).toBeCloseTo(value / length, 3);
  });
}

function pixel(png: PNG, x: number, y: number): [number, number, number] {
  const offset = (png.width * y + x) * 4;
  return [png.data[offset] ?? 0, png.data[offset + 1] ?? 0, png.data[offset + 2] ?? 0];
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "bod-engine-"));
  dataDir = join(root, "project");
  engine = createSceneEngine({ logger, dataDir, env: hooks, snapshotEvery: 5 });
  const started = await engine.start();
  expect(started.blenderReadyMs).toBeGreaterThan(0);
});

afterAll(async () => {
  await engine?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

describe("scene tools in real Blender", () => {
  it("starts a new project with a camera aimed at the origin, one light and no objects", async () => {
    const fresh = await scene();
    expect(fresh.objects).toEqual([]);
    expect(fresh.totalObjects).toBe(0);
    expect(fresh.lights).toHaveLength(1);
    expect(fresh.camera).not.toBeNull();
    expectAimedAt(fresh.camera!.location, fresh.camera!.rotation, [0, 0, 0]);
    expect(fresh.render).toEqual({ engine: "eevee", width: 960, height: 540, samples: 32 });
  });

  it("adds every object type, with its color, transform and primitive", async () => {
    for (const type of OBJECT_TYPES) {
      const result = addObject.outputSchema.parse(
        await engine.call("add_object", {
          type,
          ...(type === "text" ? { text: "Hello" } : {}),
          color: colorToLinear("red"),
          location: [1, 2, 3],
          rotation: [0, 0, 90],
          scale: [2, 2, 2],
        }),
      );
      expect(result.object).toMatchObject({ primitive: type, location: [1, 2, 3], scale: [2, 2, 2] });
      expect(result.object.rotation[2]).toBeCloseTo(90, 3);
      expect(result.object.material?.baseColor).toBe("#ff0000");
      if (type === "text") expect(result.object).toMatchObject({ type: "FONT", text: "Hello" });
    }
    const names = (await scene()).objects.map((object) => object.name);
    expect(names).toEqual(["Circle", "Cone", "Cube", "Cylinder", "Icosphere", "Plane", "Sphere", "Suzanne", "Text", "Torus"]);
    const second = addObject.outputSchema.parse(await engine.call("add_object", { type: "cube" }));
    expect(second.object.name).toBe("Cube.001");
    expect(second.object.dimensions).toEqual([2, 2, 2]);
  });

  it("updates, duplicates and deletes objects, with errors that name what exists", async () => {
    const moved = updateObject.outputSchema.parse(
      await engine.call("update_object", {
        name: "Cube.001",
        newName: "Box",
        translate: [0, 0, 1],
        scale: [1, 2, 3],
        color: colorToLinear("#00ff00"),
      }),
    );
    expect(moved.object).toMatchObject({ name: "Box", location: [0, 0, 1], scale: [1, 2, 3], dimensions: [2, 4, 6] });
    expect(moved.object.material?.baseColor).toBe("#00ff00");

    const copy = duplicateObject.outputSchema.parse(
      await engine.call("duplicate_object", { name: "Box", newName: "Box copy", offset: [3, 0, 0] }),
    );
    expect(copy.object).toMatchObject({ name: "Box copy", location: [3, 0, 1], scale: [1, 2, 3] });
    await engine.call("set_material", { name: "Box copy", color: colorToLinear("blue") });
    const box = (await scene()).objects.find((object) => object.name === "Box");
    expect(box?.material?.baseColor).toBe("#00ff00");

    expect(deleteObject.outputSchema.parse(await engine.call("delete_object", { name: "Box copy" }))).toEqual({ deleted: "Box copy" });
    const missing = await failure(engine.call("update_object", { name: "Box copy", translate: [1, 0, 0] }));
    expect(missing.code).toBe("object_not_found");
    expect(missing.message).toContain("Box");
    expect(missing.message).toContain("Suzanne");
    const taken = await failure(engine.call("add_object", { type: "cube", name: "Box" }));
    expect(taken.code).toBe("name_taken");
    expect((await failure(engine.call("duplicate_object", { name: "Box", newName: "Torus" }))).code).toBe("name_taken");
    const tooLong = await failure(engine.call("update_object", { name: "Box", newName: "立方体".repeat(21) }));
    expect(tooLong.code).toBe("invalid_arguments");
    const named = addObject.outputSchema.parse(await engine.call("add_object", { type: "plane", name: "Ground plane ✓" }));
    expect(named.object.name).toBe("Ground plane ✓");
    await engine.call("delete_object", { name: "Ground plane ✓" });
  });

  it("sets materials, lights, the camera and the world", async () => {
    const material = setMaterial.outputSchema.parse(
      await engine.call("set_material", {
        name: "Box",
        metallic: 0.8,
        roughness: 0.2,
        emissionColor: colorToLinear("#ffffff"),
        emissionStrength: 5,
        alpha: 0.5,
      }),
    );
    expect(material.object.material).toMatchObject({
      metallic: 0.8,
      roughness: 0.2,
      emissionColor: "#ffffff",
      emissionStrength: 5,
      alpha: 0.5,
    });

    for (const type of ["point", "sun", "spot", "area"] as const) {
      const light = addLight.outputSchema.parse(
        await engine.call("add_light", { type, color: colorToLinear("orange"), energy: 42, location: [0, -4, 4], target: [0, 0, 0] }),
      );
      expect(light.light).toMatchObject({ type, energy: 42, color: "#ffa500", location: [0, -4, 4] });
      if (type !== "point") expectAimedAt(light.light.location, light.light.rotation, [0, 0, 0]);
    }

    const camera = setCamera.outputSchema.parse(await engine.call("set_camera", { location: [0, -10, 2], target: [0, 0, 1], lens: 35 }));
    expect(camera.camera).toMatchObject({ location: [0, -10, 2], lens: 35 });
    expectAimedAt(camera.camera.location, camera.camera.rotation, [0, 0, 1]);
    // Moving without a target keeps the camera on the point it looked at.
    const moved = setCamera.outputSchema.parse(await engine.call("set_camera", { location: [10, 0, 1] }));
    expectAimedAt(moved.camera.location, moved.camera.rotation, [0, 0, 1]);

    const world = setWorld.outputSchema.parse(await engine.call("set_world", { color: colorToLinear("#336699"), strength: 0.5 }));
    expect(world.world).toEqual({ kind: "color", color: "#336699", strength: 0.5 });
  });

  it("pages through many objects, unshaken by changes between pages", async () => {
    const all = (await scene()).objects.map((object) => object.name);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = getScene.outputSchema.parse(await engine.call("get_scene", { limit: 4, ...(cursor ? { cursor } : {}) }));
      expect(page.objects.length).toBeLessThanOrEqual(4);
      seen.push(...page.objects.map((object) => object.name));
      cursor = page.nextCursor;
      // An object that sorts before the pages already read does not shift the next page.
      if (seen.length === 4) await engine.call("add_object", { type: "cube", name: "AAA" });
    } while (cursor);
    expect(seen).toEqual(all);
    await engine.call("delete_object", { name: "AAA" });
  });

  it("clears objects but keeps lights and camera; resetAll returns the new-project scene", async () => {
    const before = await scene();
    const cleared = clearScene.outputSchema.parse(await engine.call("clear_scene", {}));
    expect(cleared.removed).toEqual(before.objects.map((object) => object.name));
    const after = await scene();
    expect(after.objects).toEqual([]);
    expect(after.lights).toHaveLength(before.lights.length);
    const reset = clearScene.outputSchema.parse(await engine.call("clear_scene", { resetAll: true }));
    expect(reset.removed.length).toBe(before.lights.length + 1);
    const fresh = await scene();
    expect(fresh.lights).toHaveLength(1);
    expect(fresh.world.strength).toBe(1);
    expectAimedAt(fresh.camera!.location, fresh.camera!.rotation, [0, 0, 0]);
  });
});

describe("renders", () => {
  it("renders a red cube red with EEVEE, reporting progress", async () => {
    await engine.call("add_object", { type: "cube", name: "Red", color: colorToLinear("red") });
    const output = join(root, "red.png");
    const progress: { progress: number; total: number }[] = [];
    const result = await engine.call(
      "render_frame",
      { engine: "eevee", width: 64, height: 48, samples: 4, output },
      { onProgress: (update) => progress.push(update) },
    );
    expect(result).toMatchObject({ engine: "eevee", width: 64, height: 48, samples: 4 });
    const png = PNG.sync.read(await readFile(output));
    expect([png.width, png.height]).toEqual([64, 48]);
    const [red, green, blue] = pixel(png, 32, 24);
    expect(red).toBeGreaterThan(120);
    expect(green).toBeLessThan(40);
    expect(blue).toBeLessThan(40);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.at(-1)).toMatchObject({ progress: 4, total: 4 });
    // Rendering does not change the scene's own render settings.
    expect((await scene()).render).toEqual({ engine: "eevee", width: 960, height: 540, samples: 32 });
  });

  it("shows transparency in EEVEE: an invisible cube lets the background through", async () => {
    await engine.call("set_material", { name: "Red", alpha: 0 });
    const output = join(root, "transparent.png");
    await engine.call("render_frame", { engine: "eevee", width: 64, height: 48, samples: 4, output });
    const [red, green, blue] = pixel(PNG.sync.read(await readFile(output)), 32, 24);
    expect(Math.abs(red - green)).toBeLessThan(10);
    expect(Math.abs(green - blue)).toBeLessThan(10);
    await engine.call("set_material", { name: "Red", alpha: 1 });
  });

  it("renders with Workbench and Cycles", async () => {
    for (const name of ["workbench", "cycles"] as const) {
      const output = join(root, `${name}.png`);
      await engine.call("render_frame", { engine: name, width: 32, height: 32, samples: name === "workbench" ? 1 : 2, output });
      const png = PNG.sync.read(await readFile(output));
      expect([png.width, png.height]).toEqual([32, 32]);
      const [red, green] = pixel(png, 16, 16);
      expect(red).toBeGreaterThan(green);
    }
  });

  it("cancels an EEVEE render promptly and keeps serving", async () => {
    const abort = new AbortController();
    const cancelled: { error: ToolError; at: number }[] = [];
    const started = new Promise<void>((resolve) => {
      const render = engine.call(
        "render_frame",
        { engine: "eevee", width: 512, height: 512, samples: 4096, output: join(root, "long.png") },
        { signal: abort.signal, onProgress: () => resolve() },
      );
      void failure(render).then((error) => cancelled.push({ error, at: performance.now() }));
    });
    await started;
    const abortedAt = performance.now();
    abort.abort();
    await expect.poll(() => cancelled.length, { timeout: 2_000, interval: 10 }).toBe(1);
    expect(cancelled[0]?.error.code).toBe("cancelled");
    expect((cancelled[0]?.at ?? Infinity) - abortedAt).toBeLessThan(500);
    expect((await scene()).objects.map((object) => object.name)).toEqual(["Red"]);
  });
});

describe("files", () => {
  it("exports every format as a valid file", async () => {
    const exports = join(root, "exports");
    const glb = (await engine.call("export_scene", { format: "glb", output: join(exports, "scene.glb") })) as { files: string[] };
    const bytes = await readFile(glb.files[0]!);
    expect(bytes.toString("ascii", 0, 4)).toBe("glTF");
    expect(bytes.readUInt32LE(4)).toBe(2);
    expect(bytes.readUInt32LE(8)).toBe(bytes.length);
    const jsonLength = bytes.readUInt32LE(12);
    expect(bytes.toString("ascii", 16, 20)).toBe("JSON");
    const gltf = JSON.parse(bytes.toString("utf8", 20, 20 + jsonLength)) as { nodes: { name: string }[]; meshes: unknown[] };
    expect(gltf.nodes.map((node) => node.name)).toContain("Red");
    expect(gltf.meshes.length).toBeGreaterThan(0);

    const text = (await engine.call("export_scene", { format: "gltf", output: join(exports, "scene.gltf") })) as { files: string[] };
    const embedded = JSON.parse(await readFile(text.files[0]!, "utf8")) as { asset: { version: string }; buffers: { uri: string }[] };
    expect(embedded.asset.version).toBe("2.0");
    expect(embedded.buffers[0]?.uri.startsWith("data:")).toBe(true);

    const obj = (await engine.call("export_scene", { format: "obj", output: join(exports, "scene.obj") })) as { files: string[] };
    expect(obj.files).toEqual([join(exports, "scene.obj"), join(exports, "scene.mtl")]);
    expect(await readFile(obj.files[0]!, "utf8")).toMatch(/^o Red$/m);
    expect(await readFile(obj.files[1]!, "utf8")).toMatch(/^newmtl /m);

    const stl = (await engine.call("export_scene", { format: "stl", output: join(exports, "scene.stl") })) as { files: string[] };
    const stlBytes = await readFile(stl.files[0]!);
    const triangles = stlBytes.readUInt32LE(80);
    expect(triangles).toBe(12);
    expect(stlBytes.length).toBe(84 + 50 * triangles);

    const fbx = (await engine.call("export_scene", { format: "fbx", output: join(exports, "scene.fbx") })) as { files: string[] };
    expect((await readFile(fbx.files[0]!)).toString("ascii", 0, 18)).toBe("Kaydara FBX Binary");

    const blend = (await engine.call("export_scene", { format: "blend", output: join(exports, "scene.blend") })) as { files: string[] };
    const blendHead = await readFile(blend.files[0]!);
    // A compressed .blend starts with the zstd magic, a plain one with BLENDER.
    expect(blendHead.toString("ascii", 0, 7) === "BLENDER" || blendHead.readUInt32LE(0) === 0xfd2fb528).toBe(true);
  });

  it("imports what it exported, in every import format", async () => {
    const exports = join(root, "exports");
    const before = await scene();
    for (const format of IMPORT_FORMATS) {
      const imported = (await engine.call("import_model", { format, path: join(exports, `scene.${format}`), location: [0, 5, 0] })) as {
        objects: string[];
      };
      expect(imported.objects.length).toBeGreaterThan(0);
      const current = await scene();
      for (const name of imported.objects) {
        const object = current.objects.find((candidate) => candidate.name === name);
        expect(object?.location[1]).toBeCloseTo(5, 3);
      }
    }
    const fromObj = (await scene()).objects.find(
      (object) => object.name.startsWith("Red") && object.name !== "Red" && object.type === "MESH",
    );
    expect(fromObj?.material?.baseColor).toBe("#ff0000");
    // Exports hold the model only: importing them adds no cameras or lights.
    const after = await scene();
    expect(after.lights).toEqual(before.lights);
    expect(after.objects.every((object) => object.type !== "CAMERA")).toBe(true);
    const bad = await failure(engine.call("import_model", { format: "glb", path: join(exports, "scene.stl") }));
    expect(bad.code).toBe("unsupported_format");
    expect(bad.message).not.toContain("Traceback");
    const empty = await failure(engine.call("import_model", { format: "obj", path: join(exports, "scene.mtl") }));
    expect(empty.code).toBe("unsupported_format");
  });
});

describe("durability", () => {
  it("replays an OBJ import with its materials file after a crash, though the source is gone", async () => {
    const source = join(root, "source");
    await cp(join(root, "exports", "scene.obj"), join(source, "scene.obj"), { recursive: true });
    await cp(join(root, "exports", "scene.mtl"), join(source, "scene.mtl"));
    const own = createSceneEngine({ logger, dataDir: join(root, "imports") });
    await own.start();
    const { objects } = (await own.call("import_model", { format: "obj", path: join(source, "scene.obj") })) as { objects: string[] };
    await rm(source, { recursive: true });
    const before = await scene(own);
    const pid = own.blenderPid!;
    process.kill(pid, "SIGKILL");
    await expect.poll(() => own.blenderPid, { timeout: 1_000, interval: 5 }).not.toBe(pid);
    const after = await scene(own);
    expect(after).toEqual(before);
    expect(after.objects.find((object) => object.name === objects[0])?.material?.baseColor).toBe("#ff0000");
    await own.stop();
  });

  it("survives kill -9 of Blender mid-render: the call fails, the scene is as acknowledged", async () => {
    const before = await scene();
    const pid = engine.blenderPid!;
    let killed = false;
    const render = failure(
      engine.call(
        "render_frame",
        { engine: "cycles", width: 256, height: 256, samples: 4096, output: join(root, "killed.png") },
        {
          onProgress: () => {
            if (!killed) process.kill(pid, "SIGKILL");
            killed = true;
          },
        },
      ),
    );
    expect((await render).code).toBe("blender_crashed");
    expect(await scene()).toEqual(before);
    expect(engine.blenderPid).not.toBe(pid);
  });

  it("survives kill -9 of an idle Blender", async () => {
    await engine.call("update_object", { name: "Red", location: [0, 0, 1] });
    const before = await scene();
    const pid = engine.blenderPid!;
    process.kill(pid, "SIGKILL");
    // The engine notices the exit and restarts Blender before anyone asks.
    await expect.poll(() => engine.blenderPid, { timeout: 1_000, interval: 5 }).not.toBe(pid);
    expect(await scene()).toEqual(before);
  });

  it("stops a hung command with a timeout and restores the scene", async () => {
    const before = await scene();
    const startedAt = performance.now();
    const hung = await failure(engine.call("ping", { sleepMs: 60_000 }, { timeoutMs: 1_000 }));
    expect(hung.code).toBe("timeout");
    expect(performance.now() - startedAt).toBeLessThan(5_000);
    expect(await scene()).toEqual(before);
  });

  it("restores the scene in a new engine, from a clean stop and from what a crash leaves", async () => {
    const journal = join(dataDir, "scene", "journal.jsonl");
    for (let index = 0; index < 7 || (await stat(journal)).size === 0; index++) {
      await engine.call("add_object", { type: "ico_sphere", location: [index, -3, 0] });
    }
    expect((await stat(join(dataDir, "scene", "snapshot.blend"))).size).toBeGreaterThan(0);
    const live = await scene();
    // A crashed worker leaves the snapshot and journal as they were after the last acknowledged call.
    const crashCopy = join(root, "crashed");
    await cp(join(dataDir, "scene"), join(crashCopy, "scene"), { recursive: true });

    const fromCrash = createSceneEngine({ logger, dataDir: crashCopy });
    await fromCrash.start();
    expect(await scene(fromCrash)).toEqual(live);
    await fromCrash.stop();

    await engine.stop();
    expect((await stat(join(dataDir, "scene", "journal.jsonl"))).size).toBe(0);
    engine = createSceneEngine({ logger, dataDir, env: hooks });
    const restarted = await engine.start();
    expect(restarted.sceneRestoreMs).toBeGreaterThan(0);
    expect(await scene()).toEqual(live);
  });

  it("stops cleanly while Blender is being restarted, leaving no Blender behind", async () => {
    const children: ChildProcess[] = [];
    const recordingSpawn: SpawnFunction = (command, args, options) => {
      const child = spawn(command, args, options);
      children.push(child);
      return child;
    };
    const engineWithCrash = createSceneEngine({ logger, dataDir: join(root, "stopping"), spawn: recordingSpawn });
    await engineWithCrash.start();
    await engineWithCrash.call("add_object", { type: "cone" });
    process.kill(engineWithCrash.blenderPid!, "SIGKILL");
    await expect.poll(() => engineWithCrash.state, { timeout: 1_000, interval: 5 }).toBe("restarting");
    await engineWithCrash.stop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(engineWithCrash.state).toBe("stopped");
    expect(children.every((child) => child.exitCode !== null || child.signalCode !== null)).toBe(true);
    const reopened = createSceneEngine({ logger, dataDir: join(root, "stopping") });
    await reopened.start();
    expect((await scene(reopened)).objects.map((object) => object.name)).toEqual(["Cone"]);
    await reopened.stop();
  });

  it("binds a pool engine to a project after it started", async () => {
    const live = await scene();
    const pool = createSceneEngine({ logger });
    await pool.start();
    expect((await scene(pool)).objects).toEqual([]);
    await pool.bind!({ projectId: "crashed", dataDir: join(root, "crashed") });
    expect((await scene(pool)).objects.map((object) => object.name)).toEqual(live.objects.map((object) => object.name));
    await pool.stop();
  });
});
