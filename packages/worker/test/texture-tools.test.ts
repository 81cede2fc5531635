// End-to-end: textures and world images in a real `bod worker` with real Blender, over MCP. An
// uploaded checkerboard PNG as base color shows both its colours in the render, a normal map
// changes the shading, an HDRI and a sky light the world, a render becomes a texture, the images
// survive kill -9 of Blender and a new worker on the same data dir, and bad uploads are refused.
import { getScene, renderFrame, setTexture, setWorldHdri, setWorldSky } from "@bod/contracts";
import type { CallToolResult, Client } from "@modelcontextprotocol/client";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodePng, type Rgb } from "./support/png.ts";
import { connectClient, removeDir, startWorkerProcess, type WorkerProcess } from "./support/worker-process.ts";

let worker: WorkerProcess;
let client: Client;

const RED: Rgb = { r: 230, g: 20, b: 20 };
const BLUE: Rgb = { r: 20, g: 20, b: 230 };

async function call(name: string, args: Record<string, unknown> = {}, via = client): Promise<CallToolResult> {
  return (await via.callTool({ name, arguments: args }, { timeout: 120_000 })) as CallToolResult;
}

async function ok(name: string, args: Record<string, unknown> = {}, via = client): Promise<Record<string, unknown>> {
  const result = await call(name, args, via);
  expect(result.isError, `${name}: ${JSON.stringify(result.content)}`).toBeFalsy();
  return result.structuredContent as Record<string, unknown>;
}

function errorOf(result: CallToolResult): { code: unknown; text: string } {
  expect(result.isError, JSON.stringify(result.structuredContent)).toBe(true);
  return {
    code: result._meta?.["bod/errorCode"],
    text: result.content.map((block) => (block.type === "text" ? block.text : "")).join("\n"),
  };
}

/** A PNG of `size` x `size` pixels in 2x2 squares of `a` and `b`. */
function checkerboard(size: number, a: Rgb, b: Rgb): Buffer {
  const png = new PNG({ width: size, height: size });
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const color = (Math.floor((2 * x) / size) + Math.floor((2 * y) / size)) % 2 === 0 ? a : b;
      png.data.set([color.r, color.g, color.b, 255], (y * size + x) * 4);
    }
  }
  return PNG.sync.write(png);
}

/** A tangent-space normal map: the left half tilted 60 degrees towards -X, the right half flat. */
function halfTiltedNormalMap(size: number): Buffer {
  const png = new PNG({ width: size, height: size });
  const tilted = [Math.round(((-Math.sin(Math.PI / 3) + 1) / 2) * 255), 128, Math.round(((Math.cos(Math.PI / 3) + 1) / 2) * 255)];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) png.data.set([...(x < size / 2 ? tilted : [128, 128, 255]), 255], (y * size + x) * 4);
  }
  return PNG.sync.write(png);
}

/** A Radiance .hdr panorama, uncompressed scanlines: the left half `left`, the right half `right` (linear). */
function radianceHdr(width: number, height: number, left: [number, number, number], right: [number, number, number]): Buffer {
  const rgbe = ([r, g, b]: [number, number, number]) => {
    const largest = Math.max(r, g, b);
    if (largest < 1e-32) return [0, 0, 0, 0];
    const exponent = Math.ceil(Math.log2(largest) + 1e-9);
    const scale = 256 / 2 ** exponent;
    return [Math.floor(r * scale), Math.floor(g * scale), Math.floor(b * scale), exponent + 128];
  };
  const header = Buffer.from(`#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y ${height} +X ${width}\n`, "latin1");
  const pixels = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) pixels.set(rgbe(x < width / 2 ? left : right), (y * width + x) * 4);
  }
  return Buffer.concat([header, pixels]);
}

/** Which of the image's pixels are clearly `a`-ish or `b`-ish (by their strongest channel), as fractions. */
function shares(png: PNG): { red: number; blue: number } {
  let red = 0;
  let blue = 0;
  for (let offset = 0; offset < png.data.length; offset += 4) {
    const [r, g, b] = [png.data[offset]!, png.data[offset + 1]!, png.data[offset + 2]!];
    if (r > 60 && r > 2 * g && r > 2 * b) red++;
    if (b > 60 && b > 2 * g && b > 2 * r) blue++;
  }
  const count = png.width * png.height;
  return { red: red / count, blue: blue / count };
}

/** Mean brightness (0..255) of the columns from `from` to `to` (fractions of the width), all rows. */
function brightness(png: PNG, from: number, to: number): number {
  let sum = 0;
  let count = 0;
  for (let y = 0; y < png.height; y++) {
    for (let x = Math.floor(from * png.width); x < Math.floor(to * png.width); x++) {
      const offset = (y * png.width + x) * 4;
      sum += (png.data[offset]! + png.data[offset + 1]! + png.data[offset + 2]!) / 3;
      count++;
    }
  }
  return sum / count;
}

async function render(args: Record<string, unknown>, via = client): Promise<{ png: PNG; artifactId: string }> {
  const result = await call("render_frame", args, via);
  expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
  const image = result.content.find((block) => block.type === "image");
  const { artifact } = renderFrame.outputSchema.parse(result.structuredContent);
  return { png: decodePng(Buffer.from(image?.type === "image" ? image.data : "", "base64")), artifactId: artifact.id };
}

async function scene(via = client) {
  return getScene.outputSchema.parse(await ok("get_scene", {}, via));
}

async function blenderPid(of: WorkerProcess): Promise<number> {
  return ((await (await fetch(`${of.url}/healthz`)).json()) as { blenderPid: number }).blenderPid;
}

/** A 16x16 JPEG (quality 90, written by Blender) in 8x8 squares of red and blue. */
const CHECKER_JPEG = [
  "/9j/4AAQSkZJRgABAQAAAQABAAD/4QAMTmVvR2VvAAAAWv/bAEMAAwICAwICAwMDAwQDAwQFCAUFBAQFCgcHBggMCgwMCwoLCw0OEhANDhEOCwsQFhARExQV",
  "FRUMDxcYFhQYEhQVFP/bAEMBAwQEBQQFCQUFCRQNCw0UFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFP/AABEIABAA",
  "EAMBIgACEQEDEQH/xAAfAAABBQEBAQEBAQAAAAAAAAAAAQIDBAUGBwgJCgv/xAC1EAACAQMDAgQDBQUEBAAAAX0BAgMABBEFEiExQQYTUWEHInEUMoGRoQgj",
  "QrHBFVLR8CQzYnKCCQoWFxgZGiUmJygpKjQ1Njc4OTpDREVGR0hJSlNUVVZXWFlaY2RlZmdoaWpzdHV2d3h5eoOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmq",
  "srO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4eLj5OXm5+jp6vHy8/T19vf4+fr/xAAfAQADAQEBAQEBAQEBAAAAAAAAAQIDBAUGBwgJCgv/xAC1EQACAQIE",
  "BAMEBwUEBAABAncAAQIDEQQFITEGEkFRB2FxEyIygQgUQpGhscEJIzNS8BVictEKFiQ04SXxFxgZGiYnKCkqNTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZn",
  "aGlqc3R1dnd4eXqCg4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2dri4+Tl5ufo6ery8/T19vf4+fr/2gAMAwEA",
  "AhEDEQA/APgSvW6K8kr9R/5PL/1CfVP+4vN7X/wXy8vs/O9+ltf2f/k0/wD1E/Wf+4fL7P8A8Dvfn8rW630//9k=",
].join("");

const TOP_VIEW = { location: [0, 0, 6], target: [0, 0, 0] };
const CHECKER = checkerboard(64, RED, BLUE);

beforeAll(async () => {
  worker = await startWorkerProcess();
  client = await connectClient(worker, "texture-test");
});

afterAll(async () => {
  await client?.close();
  await worker?.stop();
  if (worker) await removeDir(worker.dataDir);
});

describe("textures and world images", () => {
  it("renders an uploaded checkerboard PNG as base color with both colours, and lists the map", async () => {
    // The upload holds both colours, half of its pixels each.
    expect(shares(decodePng(CHECKER))).toEqual({ red: 0.5, blue: 0.5 });
    await ok("add_object", { type: "plane", name: "Floor", scale: 2, color: "white" });
    const textured = setTexture.outputSchema.parse(
      await ok("set_texture", { object: "Floor", map: "base_color", data: CHECKER.toString("base64") }),
    );
    expect(textured.artifact).toMatchObject({ kind: "upload", mimeType: "image/png", bytes: CHECKER.length });
    expect(textured.texture).toEqual({ map: "base_color", artifactId: textured.artifact?.id, projection: "existing", scale: 1 });
    expect(textured.object.material?.maps).toEqual([textured.texture]);

    await ok("set_camera", TOP_VIEW);
    const { png } = await render({ engine: "eevee", width: 64, height: 64, samples: 4 });
    // The plane fills most of the frame from above: both colours show, each over a good share of it.
    const seen = shares(png);
    expect(seen.red, JSON.stringify(seen)).toBeGreaterThan(0.15);
    expect(seen.blue, JSON.stringify(seen)).toBeGreaterThan(0.15);

    const floor = (await scene()).objects.find((object) => object.name === "Floor");
    expect(floor?.material?.maps?.map((map) => map.artifactId)).toEqual([textured.artifact?.id]);
    // The upload is an artifact of the project like any other.
    const download = await fetch(textured.artifact?.url ?? "");
    expect(Buffer.from(await download.arrayBuffer()).equals(CHECKER)).toBe(true);
  });

  it("takes a JPEG upload as well", async () => {
    await ok("delete_object", { name: "Floor" });
    await ok("add_object", { type: "plane", name: "Tiles", scale: 2 });
    const textured = setTexture.outputSchema.parse(await ok("set_texture", { object: "Tiles", map: "base_color", data: CHECKER_JPEG }));
    expect(textured.artifact).toMatchObject({ kind: "upload", mimeType: "image/jpeg" });
    expect(textured.artifact?.id).toMatch(/\.jpg$/);
    const seen = shares((await render({ engine: "cycles", width: 48, height: 48, samples: 2 })).png);
    expect(seen.red, JSON.stringify(seen)).toBeGreaterThan(0.15);
    expect(seen.blue, JSON.stringify(seen)).toBeGreaterThan(0.15);
    await ok("delete_object", { name: "Tiles" });
  });

  it("applies a keyed set_texture once: its retry answers with the first result and stores no second upload", async () => {
    await ok("add_object", { type: "cube", name: "Keyed", location: [0, 0, -8] });
    const uploadsBefore = (await client.listResources()).resources.length;
    const keyed = () =>
      client.callTool(
        {
          name: "set_texture",
          arguments: { object: "Keyed", map: "base_color", data: CHECKER.toString("base64") },
          _meta: { "bod/idempotencyKey": "texture-once-1" },
        },
        { timeout: 120_000 },
      ) as Promise<CallToolResult>;
    const first = await keyed();
    const retry = await keyed();
    expect(first.isError, JSON.stringify(first.content)).toBeFalsy();
    expect(retry._meta?.["bod/repeated"]).toBe(true);
    expect(retry.structuredContent).toEqual(first.structuredContent);
    expect((await client.listResources()).resources.length).toBe(uploadsBefore + 1);
    await ok("delete_object", { name: "Keyed" });
  });

  it("uses a render as a texture, with box and smart UV projections and tiling", async () => {
    const { artifactId } = await render({ engine: "cycles", width: 32, height: 32, samples: 1 });
    await ok("add_object", { type: "cube", name: "Crate", location: [0, 0, -5] });
    const boxed = setTexture.outputSchema.parse(
      await ok("set_texture", { object: "Crate", map: "base_color", artifactId, projection: "box", scale: 2 }),
    );
    expect(boxed.artifact).toBeUndefined();
    expect(boxed.texture).toEqual({ map: "base_color", artifactId, projection: "box", scale: 2 });
    const rough = setTexture.outputSchema.parse(
      await ok("set_texture", { object: "Crate", map: "roughness", data: CHECKER.toString("base64"), projection: "smart_uv" }),
    );
    expect(rough.object.material?.maps?.map((map) => [map.map, map.projection])).toEqual([
      ["base_color", "box"],
      ["roughness", "smart_uv"],
    ]);
    const removed = await ok("remove_texture", { object: "Crate", map: "roughness" });
    expect((removed as { object: { material: { maps?: unknown[] } } }).object.material.maps).toHaveLength(1);
    expect(errorOf(await call("remove_texture", { object: "Crate", map: "normal" })).text).toMatch(
      /has no normal map\. Its maps: base_color/,
    );
    await ok("delete_object", { name: "Crate" });
  });

  it("shades with a normal map: the tilted half of the plane turns away from the light", async () => {
    await ok("clear_scene", { resetAll: true });
    await ok("delete_object", { name: "Light" });
    await ok("add_light", { type: "sun", name: "Sun", energy: 1.5, location: [0, 0, 5], target: [0, 0, 0] });
    await ok("set_world", { color: "black" });
    await ok("add_object", { type: "plane", name: "Panel", scale: 2, color: "white" });
    await ok("set_camera", TOP_VIEW);
    const settings = { engine: "cycles", width: 48, height: 48, samples: 8 };
    const flat = (await render(settings)).png;
    // Without a map the panel is evenly lit.
    expect(brightness(flat, 0.3, 0.45) / brightness(flat, 0.55, 0.7)).toBeCloseTo(1, 1);

    const mapped = setTexture.outputSchema.parse(
      await ok("set_texture", { object: "Panel", map: "normal", data: halfTiltedNormalMap(32).toString("base64"), strength: 1 }),
    );
    expect(mapped.texture).toMatchObject({ map: "normal", strength: 1, projection: "existing" });
    const bumped = (await render(settings)).png;
    // The left half's normals lean 60 degrees from the sun overhead: much darker than the flat right half.
    const left = brightness(bumped, 0.3, 0.45);
    const right = brightness(bumped, 0.55, 0.7);
    expect(left / right, `left ${left}, right ${right}`).toBeLessThan(0.85);
    expect(right).toBeGreaterThan(40);
  });

  it("lights the world with an uploaded HDRI, turned by its rotation", async () => {
    await ok("clear_scene", { resetAll: true });
    const hdr = radianceHdr(64, 32, [1, 0.05, 0.05], [0.05, 0.05, 1]);
    const world = setWorldHdri.outputSchema.parse(await ok("set_world_hdri", { data: hdr.toString("base64"), strength: 1 }));
    expect(world.artifact).toMatchObject({ kind: "upload", mimeType: "image/vnd.radiance" });
    expect(world.world).toMatchObject({ kind: "hdri", strength: 1, hdri: { artifactId: world.artifact?.id, rotation: 0 } });
    // Looking level along +Y, the camera sees one half of the panorama...
    await ok("set_camera", { location: [0, 0, 1], target: [0, 5, 1] });
    const settings = { engine: "cycles", width: 32, height: 32, samples: 1 };
    const before = shares((await render(settings)).png);
    // ... and, the image turned half around, the other.
    const turned = setWorldHdri.outputSchema.parse(await ok("set_world_hdri", { artifactId: world.artifact?.id, rotation: 180 }));
    expect(turned.world).toMatchObject({ kind: "hdri", hdri: { artifactId: world.artifact?.id, rotation: 180 } });
    const after = shares((await render(settings)).png);
    const [first, second] = before.red > before.blue ? ([before.red, after.blue] as const) : ([before.blue, after.red] as const);
    expect(first, JSON.stringify({ before, after })).toBeGreaterThan(0.9);
    expect(second, JSON.stringify({ before, after })).toBeGreaterThan(0.9);
  });

  it("makes the world a sky (Nishita and Hosek-Wilkie), and a color again", async () => {
    const sky = setWorldSky.outputSchema.parse(await ok("set_world_sky", { sunElevation: 30, sunRotation: 180 }));
    expect(sky.world).toMatchObject({ kind: "sky", strength: 1, sky: { type: "nishita", sunElevation: 30, sunRotation: 180 } });
    expect(sky.world.hdri).toBeUndefined();
    // Looking up into the sky, away from the sun.
    await ok("set_camera", { location: [0, 0, 1], target: [0, 5, 3] });
    const { png } = await render({ engine: "cycles", width: 32, height: 18, samples: 1 });
    // A daylight sky: bright, and bluer than it is red, not clipped to white.
    const center = png.data.subarray((9 * 32 + 16) * 4, (9 * 32 + 16) * 4 + 3);
    expect(center[2]!, JSON.stringify([...center])).toBeGreaterThan(center[0]! + 10);
    expect(center[2]!).toBeGreaterThan(60);
    expect(center[0]!).toBeLessThan(250);

    const hosek = setWorldSky.outputSchema.parse(
      await ok("set_world_sky", { sunElevation: 10, sunRotation: 90, type: "hosek_wilkie", strength: 0.5 }),
    );
    expect(hosek.world).toMatchObject({ kind: "sky", strength: 0.5, sky: { type: "hosek_wilkie", sunElevation: 10, sunRotation: 90 } });
    const color = await ok("set_world", { color: "#336699" });
    expect(color).toEqual({ world: { kind: "color", color: "#336699", strength: 0.5 } });
  });

  it("keeps textures and the HDRI through kill -9 of Blender and in a new worker on the same data dir", async () => {
    await ok("clear_scene", { resetAll: true });
    await ok("add_object", { type: "plane", name: "Floor", scale: 2 });
    const textured = setTexture.outputSchema.parse(
      await ok("set_texture", { object: "Floor", map: "base_color", data: CHECKER.toString("base64") }),
    );
    const hdri = setWorldHdri.outputSchema.parse(
      await ok("set_world_hdri", { data: radianceHdr(16, 8, [0.2, 0.2, 0.2], [0.2, 0.2, 0.2]).toString("base64"), rotation: 45 }),
    );
    await ok("set_camera", TOP_VIEW);
    const expected = { maps: [textured.texture], world: hdri.world };

    const pid = await blenderPid(worker);
    process.kill(pid, "SIGKILL");
    // The next call may race the restart and report the crash; the one after sees the restored scene.
    let restored: Awaited<ReturnType<typeof scene>> | undefined;
    for (let attempt = 0; attempt < 3 && !restored; attempt++) restored = await scene().catch(() => undefined);
    expect(await blenderPid(worker)).not.toBe(pid);
    expect({ maps: restored?.objects.find((object) => object.name === "Floor")?.material?.maps, world: restored?.world }).toEqual(expected);
    const afterCrash = shares((await render({ engine: "cycles", width: 48, height: 48, samples: 2 })).png);
    expect(afterCrash.red).toBeGreaterThan(0.15);
    expect(afterCrash.blue).toBeGreaterThan(0.15);

    // A new worker on the same data dir: the stopping worker's snapshot holds the packed images.
    await client.close();
    await worker.stop();
    worker = await startWorkerProcess({ dataDir: worker.dataDir });
    client = await connectClient(worker, "texture-test");
    const reopened = await scene();
    expect({ maps: reopened.objects.find((object) => object.name === "Floor")?.material?.maps, world: reopened.world }).toEqual(expected);
    const again = shares((await render({ engine: "cycles", width: 48, height: 48, samples: 2 })).png);
    expect(again.red).toBeGreaterThan(0.15);
    expect(again.blue).toBeGreaterThan(0.15);
  });

  it("refuses bad uploads and wrong artifacts with errors that say what is allowed, changing nothing", async () => {
    await ok("clear_scene", { resetAll: true });
    await ok("add_object", { type: "cube", name: "Target" });
    const exported = (await ok("export_scene", { format: "stl" })) as { artifact: { id: string } };
    const uploadsBefore = (await client.listResources()).resources.length;
    const whole = checkerboard(8, RED, BLUE);
    const hugeHeader = Buffer.from(whole);
    hugeHeader.writeUInt32BE(40_000, 16);
    const cases: [string, string, Record<string, unknown>, string, RegExp][] = [
      [
        "not an image",
        "set_texture",
        { data: Buffer.from("hello, world").toString("base64") },
        "invalid_arguments",
        /not a valid PNG or JPEG file/,
      ],
      [
        "an HDR as a color map",
        "set_texture",
        { data: radianceHdr(4, 2, [1, 1, 1], [1, 1, 1]).toString("base64") },
        "unsupported_format",
        /Radiance HDR file; this takes PNG or JPEG/,
      ],
      [
        "a PNG cut short",
        "set_texture",
        { data: whole.subarray(0, whole.length - 20).toString("base64") },
        "invalid_arguments",
        /cut short/,
      ],
      [
        "a PNG claiming 40000 pixels a side",
        "set_texture",
        { data: hugeHeader.toString("base64") },
        "payload_too_large",
        /at most 16384 pixels a side/,
      ],
      ["an unknown artifact", "set_texture", { artifactId: `${"0".repeat(32)}.png` }, "artifact_not_found", /No artifact/],
      [
        "a model as an image",
        "set_texture",
        { artifactId: exported.artifact.id },
        "unsupported_format",
        /\.stl file; this takes PNG, JPEG images/,
      ],
      [
        "a text file as an HDRI",
        "set_world_hdri",
        { data: Buffer.from("#?RADIANCE\n").toString("base64") },
        "invalid_arguments",
        /header does not end/,
      ],
      ["not base64", "set_texture", { data: "@@@" }, "invalid_arguments", /base64/],
      [
        "both sources",
        "set_texture",
        { data: whole.toString("base64"), artifactId: exported.artifact.id },
        "invalid_arguments",
        /exactly one of artifactId or data/,
      ],
    ];
    for (const [label, tool, args, code, message] of cases) {
      const input = tool === "set_texture" ? { object: "Target", map: "base_color", ...args } : args;
      const failure = errorOf(await call(tool, input));
      expect(failure.text, label).toMatch(message);
      // The contracts' own refusals come from the SDK, without an error code.
      if (!["not base64", "both sources"].includes(label)) expect(failure.code, label).toBe(code);
    }
    const light = errorOf(await call("set_texture", { object: "Light", map: "base_color", data: whole.toString("base64") }));
    expect(light.text).toMatch(/needs a mesh; "Light" is a LIGHT/);
    const uploaded = setTexture.outputSchema.parse(
      await ok("set_texture", { object: "Target", map: "base_color", data: whole.toString("base64") }),
    );
    const missing = errorOf(await call("set_texture", { object: "Nobody", map: "base_color", artifactId: uploaded.texture.artifactId }));
    expect(missing.code).toBe("object_not_found");
    // An STL has no UVs: its own cannot be used, and by default it gets a box projection.
    const imported = (await ok("import_model", { format: "stl", artifactId: exported.artifact.id })) as { objects: string[] };
    const model = imported.objects[0] ?? "";
    const noUv = errorOf(
      await call("set_texture", { object: model, map: "base_color", artifactId: uploaded.texture.artifactId, projection: "existing" }),
    );
    expect(noUv.text).toMatch(/has no UV map; use projection smart_uv or box/);
    const boxed = setTexture.outputSchema.parse(
      await ok("set_texture", { object: model, map: "base_color", artifactId: uploaded.texture.artifactId }),
    );
    expect(boxed.texture.projection).toBe("box");

    const target = (await scene()).objects.find((object) => object.name === "Target");
    expect(target?.material?.maps).toEqual([uploaded.texture]);
    // Nothing refused was stored (bad bytes, nor a good image for a light): the one upload applied is the only new artifact.
    expect((await client.listResources()).resources.length).toBe(uploadsBefore + 1);
  });
});
