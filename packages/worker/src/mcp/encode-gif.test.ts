import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ToolError } from "@bod/contracts";
import { PNG } from "pngjs";
import { afterEach, describe, expect, it } from "vitest";
import { decodeGif, gifCenterColor } from "../../test/support/gif.ts";
import { encodeGif, frameDelayCentiseconds } from "./encode-gif.ts";

const folders: string[] = [];
afterEach(async () => {
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

/** PNG frames of `width`x`height`: each a square of one color on a gray ground. */
async function frames(colors: [number, number, number][], width = 64, height = 36): Promise<string[]> {
  const folder = await mkdtemp(join(tmpdir(), "bod-gif-"));
  folders.push(folder);
  const files: string[] = [];
  for (const [index, [r, g, b]] of colors.entries()) {
    const png = new PNG({ width, height });
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const inside = Math.abs(x - width / 2) < width / 4 && Math.abs(y - height / 2) < height / 4;
        png.data.set(inside ? [r, g, b, 255] : [90, 90, 90, 255], (y * width + x) * 4);
      }
    }
    const file = join(folder, `frame_${String(index + 1).padStart(4, "0")}.png`);
    await writeFile(file, PNG.sync.write(png));
    files.push(file);
  }
  return files;
}

describe("encodeGif", () => {
  it("makes a looping GIF with one frame per PNG, in order, colors kept", async () => {
    const colors: [number, number, number][] = [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
    ];
    const gif = decodeGif(await encodeGif(await frames(colors), { fps: 10 }));
    expect([gif.width, gif.height, gif.loop, gif.frames.length]).toEqual([64, 36, 0, 3]);
    for (const [index, frame] of gif.frames.entries()) {
      const [r, g, b] = colors[index] as [number, number, number];
      const center = gifCenterColor(frame);
      expect(Math.abs(center.r - r) + Math.abs(center.g - g) + Math.abs(center.b - b)).toBeLessThan(24);
      expect(frame.delayCs).toBe(10);
      // The ground stays the same gray in every frame: one palette for the animation.
      expect(Array.from(frame.pixels.subarray(0, 3))).toEqual(Array.from(gif.frames[0]?.pixels.subarray(0, 3) ?? []));
    }
  });

  it("spreads rounding over the frames so the loop keeps the frame rate", () => {
    const delays = Array.from({ length: 24 }, (_, index) => frameDelayCentiseconds(index, 24));
    expect(delays.reduce((sum, delay) => sum + delay, 0)).toBe(100);
    expect(new Set(delays)).toEqual(new Set([4, 5]));
    // GIF players show nothing faster than 2/100 s.
    expect(frameDelayCentiseconds(0, 240)).toBe(2);
  });

  it("stops with payload_too_large past maxBytes, and with cancelled once aborted", async () => {
    const files = await frames([
      [255, 0, 0],
      [0, 255, 0],
    ]);
    const tooLarge = await encodeGif(files, { fps: 24, maxBytes: 100 }).catch((error: unknown) => error);
    expect(tooLarge).toBeInstanceOf(ToolError);
    expect(tooLarge).toMatchObject({ code: "payload_too_large", data: { maxBytes: 100 } });
    const controller = new AbortController();
    controller.abort();
    await expect(encodeGif(files, { fps: 24, signal: controller.signal })).rejects.toMatchObject({ code: "cancelled" });
  });

  it("says which frame Blender wrote badly", async () => {
    const [good] = await frames([[255, 0, 0]]);
    const bad = join(folders[0] as string, "frame_0002.png");
    await writeFile(bad, "not a png");
    await expect(encodeGif([good as string, bad], { fps: 24 })).rejects.toThrow(/frame_0002\.png/);
  });
});
