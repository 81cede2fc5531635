// End-to-end: render_frame's presets (preview, final) and the first look an eevee or cycles render
// sends with its progress, against a real `bod worker` with real Blender through the official MCP
// client. Images are checked by their pixels.
import { getScene, PREVIEW_RENDER, PROGRESS_META_KEYS, renderFrame, toPartialImage } from "@bod/contracts";
import type { CallToolResult, Client } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { centerColor, decodePng } from "./support/png.ts";
import { connectClient, removeDir, startWorkerProcess, type WorkerProcess } from "./support/worker-process.ts";

let worker: WorkerProcess;
let client: Client;

async function call(name: string, args: Record<string, unknown> = {}, options: Parameters<Client["callTool"]>[1] = {}) {
  const result = (await client.callTool({ name, arguments: args }, options)) as CallToolResult;
  expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
  return result;
}

function imageOf(result: CallToolResult) {
  const image = result.content.find((block) => block.type === "image");
  return decodePng(Buffer.from(image?.type === "image" ? image.data : "", "base64"));
}

/** The mean absolute difference of two same-size images' RGB values (0..255). */
function meanDifference(a: ReturnType<typeof decodePng>, b: ReturnType<typeof decodePng>) {
  let sum = 0;
  for (let index = 0; index < a.data.length; index += 4)
    for (let channel = 0; channel < 3; channel++) sum += Math.abs((a.data[index + channel] ?? 0) - (b.data[index + channel] ?? 0));
  return sum / ((a.data.length / 4) * 3);
}

function isRed(color: { r: number; g: number; b: number }) {
  return color.r > 70 && color.r > color.g * 2.5 && color.r > color.b * 2.5;
}

beforeAll(async () => {
  worker = await startWorkerProcess();
  // 2026-07-28: a cancelled call reaches the worker (the stateless 2025 fallback has no way to).
  client = await connectClient(worker, "render-presets-test");
  await call("add_object", { type: "cube", name: "RedCube", color: "red" });
});

afterAll(async () => {
  await client?.close();
  await worker?.stop();
  if (worker) await removeDir(worker.dataDir);
});

describe("render_frame presets", () => {
  it("preview renders 480x270 with Workbench, in the objects' own colors", async () => {
    const result = await call("render_frame", { preset: "preview" });
    const output = renderFrame.outputSchema.parse(result.structuredContent);
    expect(output).toMatchObject({ ...PREVIEW_RENDER, preset: "preview" });
    const png = imageOf(result);
    expect([png.width, png.height]).toEqual([480, 270]);
    expect(isRed(centerColor(png)), JSON.stringify(centerColor(png))).toBe(true);
    // The world stays dark behind the cube, as EEVEE shows it (Workbench's own default is grey).
    const corner = { r: png.data[0] ?? 0, g: png.data[1] ?? 0, b: png.data[2] ?? 0 };
    expect(corner.r + corner.g + corner.b).toBeLessThan(3 * 90);
  });

  it("fields given beside a preset win over it", async () => {
    const result = await call("render_frame", { preset: "preview", width: 64, height: 48 });
    expect(renderFrame.outputSchema.parse(result.structuredContent)).toMatchObject({ engine: "workbench", width: 64, height: 48 });
    const png = imageOf(result);
    expect([png.width, png.height]).toEqual([64, 48]);
  });

  it("final renders with the scene's own settings (a new project's: eevee 960x540, 32 samples)", async () => {
    const result = await call("render_frame", { preset: "final", width: 96, height: 54, samples: 2 });
    expect(renderFrame.outputSchema.parse(result.structuredContent)).toMatchObject({
      engine: "eevee",
      width: 96,
      height: 54,
      samples: 2,
      preset: "final",
    });
    // Only the engine and samples were given: the size is the scene's.
    const engineOnly = await call("render_frame", { preset: "final", engine: "workbench", samples: 1 });
    expect(renderFrame.outputSchema.parse(engineOnly.structuredContent)).toMatchObject({
      engine: "workbench",
      width: 960,
      height: 540,
    });
    expect(isRed(centerColor(imageOf(result)))).toBe(true);
  });

  it("a preview and a first look leave the scene's own render settings as they were", async () => {
    const before = getScene.outputSchema.parse((await call("get_scene")).structuredContent).render;
    expect(before).toEqual({ engine: "eevee", width: 960, height: 540, samples: 32 });
    await call("render_frame", { preset: "preview" });
    await call("render_frame", { engine: "cycles", width: 32, height: 32, samples: 1 }, { onprogress: () => {} });
    expect(getScene.outputSchema.parse((await call("get_scene")).structuredContent).render).toEqual(before);
  });

  it("names the presets it takes", async () => {
    const result = (await client.callTool({ name: "render_frame", arguments: { preset: "draft" } })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toMatch(/preview.*final/);
  });
});

describe("the first look of a render in progress", () => {
  for (const engine of ["eevee", "cycles"] as const) {
    it(`${engine}: a progress notification carries a Workbench image before the render ends`, async () => {
      const updates: Array<{ progress: number; message?: string; image?: ReturnType<typeof toPartialImage> }> = [];
      const result = await call(
        "render_frame",
        { engine, width: 160, height: 90, samples: 4 },
        {
          onprogress: (update) => {
            const meta = (update as { _meta?: Record<string, unknown> })._meta;
            updates.push({
              progress: update.progress,
              ...(update.message ? { message: update.message } : {}),
              image: toPartialImage(meta?.[PROGRESS_META_KEYS.partialImage]),
            });
          },
        },
      );
      const output = renderFrame.outputSchema.parse(result.structuredContent);
      const withImage = updates.filter((update) => update.image);
      expect(withImage.length, JSON.stringify(updates.map((u) => u.message))).toBe(1);
      const first = withImage[0]?.image;
      expect(first).toMatchObject({ mimeType: "image/png", width: 160, height: 90, stage: "workbench" });
      const png = decodePng(Buffer.from(first?.data ?? "", "base64"));
      expect([png.width, png.height]).toEqual([160, 90]);
      expect(isRed(centerColor(png))).toBe(true);
      // It comes first, before the render reports all its samples done (the "rendered" line at the
      // same count is not sent again: progress only rises).
      const done = updates.findIndex((update) => update.progress >= 4);
      expect(done).toBeGreaterThan(-1);
      expect(updates.findIndex((update) => update.image)).toBeLessThan(done);
      expect(output.firstLookMs).toBeGreaterThan(0);
      expect(isRed(centerColor(imageOf(result)))).toBe(true);
    });
  }

  it("a watched Cycles render goes in passes: the average so far after each, counted in samples, then the same image", async () => {
    const updates: Array<{ progress: number; total?: number; image?: ReturnType<typeof toPartialImage> }> = [];
    const args = { engine: "cycles", width: 160, height: 90, samples: 32 };
    const watched = await call("render_frame", args, {
      onprogress: (update) => {
        const meta = (update as { _meta?: Record<string, unknown> })._meta;
        updates.push({
          progress: update.progress,
          ...(update.total === undefined ? {} : { total: update.total }),
          image: toPartialImage(meta?.[PROGRESS_META_KEYS.partialImage]),
        });
      },
    });
    const images = updates.flatMap((update) => (update.image ? [update.image] : []));
    // The first pass has 1/16 of the samples; the rest follow in doubling passes, or in one when
    // they would take under 3 s (as here).
    expect(images[0]?.stage).toBe("workbench");
    const passes = images.slice(1).map((image) => [image.stage, image.samples]);
    expect(passes[0]).toEqual(["cycles", 2]);
    expect(
      passes.every(
        ([stage, samples], index) =>
          stage === "cycles" && (samples as number) < 32 && (index === 0 || (samples as number) > (passes[index - 1]?.[1] as number)),
      ),
    ).toBe(true);
    for (const image of images) {
      const png = decodePng(Buffer.from(image.data, "base64"));
      expect([png.width, png.height]).toEqual([160, 90]);
      expect(isRed(centerColor(png)), image.stage).toBe(true);
    }
    // Progress counts the call's samples and never goes back, whatever Blender's log says per pass.
    const counted = updates.filter((update) => update.progress > 0);
    expect(counted.every((update) => update.total === 32)).toBe(true);
    expect(counted.map((update) => update.progress)).toEqual([...counted.map((update) => update.progress)].sort((a, b) => a - b));
    expect(counted.at(-1)?.progress).toBe(32);
    // The passes add up to the render: the same picture as one render of 32 samples.
    const whole = imageOf(await call("render_frame", args));
    const summed = imageOf(watched);
    expect([summed.width, summed.height]).toEqual([160, 90]);
    expect(meanDifference(summed, whole)).toBeLessThan(8);
    expect(isRed(centerColor(summed))).toBe(true);
  });

  it("a large render's first look is at most 480 px wide", async () => {
    const images: Array<ReturnType<typeof toPartialImage>> = [];
    await call(
      "render_frame",
      { engine: "eevee", width: 960, height: 540, samples: 1 },
      {
        onprogress: (update) => {
          const meta = (update as { _meta?: Record<string, unknown> })._meta;
          const image = toPartialImage(meta?.[PROGRESS_META_KEYS.partialImage]);
          if (image) images.push(image);
        },
      },
    );
    expect(images.map((image) => [image?.width, image?.height])).toEqual([[480, 270]]);
    // Small enough to travel inline with a notification.
    expect(Buffer.from(images[0]?.data ?? "", "base64").length).toBeLessThan(60_000);
  });

  it("a render cancelled once its first look arrived stops, and Blender keeps serving", async () => {
    const controller = new AbortController();
    let images = 0;
    const cancelled = client.callTool(
      { name: "render_frame", arguments: { engine: "eevee", width: 960, height: 540, samples: 64 } },
      {
        signal: controller.signal,
        onprogress: (update) => {
          if ((update as { _meta?: Record<string, unknown> })._meta?.[PROGRESS_META_KEYS.partialImage]) {
            images++;
            controller.abort();
          }
        },
      },
    );
    await expect(cancelled).rejects.toThrow();
    expect(images).toBe(1);
    const after = await call("render_frame", { preset: "preview", width: 64, height: 36 });
    expect(isRed(centerColor(imageOf(after)))).toBe(true);
    // Where a cancel stops Blender (Cycles, the bpy module), the next call waits for a new one.
  }, 120_000);

  it("none is made for a caller that does not listen to progress, nor for Workbench or a preview", async () => {
    const quiet = await call("render_frame", { engine: "eevee", width: 64, height: 36, samples: 1 });
    expect(renderFrame.outputSchema.parse(quiet.structuredContent).firstLookMs).toBeUndefined();
    for (const args of [{ preset: "preview" }, { engine: "workbench", width: 64, height: 36 }]) {
      let images = 0;
      const result = await call("render_frame", args, {
        onprogress: (update) => {
          if ((update as { _meta?: Record<string, unknown> })._meta?.[PROGRESS_META_KEYS.partialImage]) images++;
        },
      });
      expect(images).toBe(0);
      expect(renderFrame.outputSchema.parse(result.structuredContent).firstLookMs).toBeUndefined();
    }
  });
});
