// Animated GIFs from rendered PNG frames, for render_animation (Blender writes no GIF itself): one
// palette for the whole animation, so colors hold still from frame to frame, every frame mapped
// onto it, and frame delays that keep the frame rate over the whole loop.
import { readFile } from "node:fs/promises";
import { ToolError } from "@bod/contracts";
import * as gifencModule from "gifenc";
import { PNG } from "pngjs";

export interface EncodeGifOptions {
  /** Frames per second the GIF plays at (GIF keeps hundredths of a second; above 50 it plays at 50). */
  fps: number;
  /** Stops with payload_too_large once the GIF grows past this many bytes. Default: no limit. */
  maxBytes?: number;
  /** Stops with cancelled between frames. */
  signal?: AbortSignal;
}

// Named exports under an ES module loader, the CommonJS module.exports as the default under Node.
const gifenc: typeof gifencModule =
  "quantize" in gifencModule ? gifencModule : (gifencModule as unknown as { default: typeof gifencModule }).default;

/** Frames whose pixels choose the palette, and pixels looked at in all: enough to see every color that matters. */
const PALETTE_FRAMES = 8;
const PALETTE_PIXELS = 256 * 1024;

function decode(bytes: Buffer, file: string): PNG {
  try {
    return PNG.sync.read(bytes);
  } catch (error) {
    throw new ToolError("internal", `Blender wrote a frame that is not a readable PNG (${file}): ${(error as Error).message}`);
  }
}

/** How long frame `index` shows, in hundredths of a second: rounding spread so the loop keeps `fps` overall. */
export function frameDelayCentiseconds(index: number, fps: number): number {
  const exact = (frame: number) => Math.round((frame * 100) / fps);
  return Math.max(2, exact(index + 1) - exact(index));
}

/** The palette for the animation: up to 256 colors from pixels spread over frames spread over it. */
async function animationPalette(files: readonly string[]) {
  const chosen =
    files.length <= PALETTE_FRAMES
      ? files
      : Array.from({ length: PALETTE_FRAMES }, (_, n) => files[Math.floor((n * files.length) / PALETTE_FRAMES)] as string);
  const images = [];
  for (const file of chosen) images.push(decode(await readFile(file), file));
  const pixels = images.reduce((sum, image) => sum + image.width * image.height, 0);
  const step = Math.max(1, Math.ceil(pixels / PALETTE_PIXELS));
  const sample = new Uint8Array(Math.ceil(pixels / step) * 4);
  let written = 0;
  for (const image of images) {
    for (let pixel = 0; pixel < image.width * image.height; pixel += step) {
      sample.set(image.data.subarray(pixel * 4, pixel * 4 + 4), written);
      written += 4;
    }
  }
  return gifenc.quantize(sample.subarray(0, written), 256);
}

/** The GIF of PNG `files` (all one size), in order, looping forever. */
export async function encodeGif(files: readonly string[], options: EncodeGifOptions): Promise<Uint8Array> {
  if (files.length === 0) throw new ToolError("internal", "There are no frames to make a GIF of.");
  const palette = await animationPalette(files);
  const gif = gifenc.GIFEncoder({ initialCapacity: 1024 * 1024 });
  for (const [index, file] of files.entries()) {
    if (options.signal?.aborted) throw new ToolError("cancelled", "The animation render was cancelled while its GIF was being made.");
    const image = decode(await readFile(file), file);
    const indexed = gifenc.applyPalette(image.data, palette);
    gif.writeFrame(indexed, image.width, image.height, {
      // The first frame carries the one palette as the global table; later frames use it.
      ...(index === 0 ? { palette, repeat: 0 } : {}),
      delay: frameDelayCentiseconds(index, options.fps) * 10,
    });
    const size = gif.bytesView().byteLength;
    if (options.maxBytes !== undefined && size > options.maxBytes) {
      throw new ToolError(
        "payload_too_large",
        `The GIF passed the limit of ${options.maxBytes} bytes after ${index + 1} of ${files.length} frames; render fewer frames, a smaller size, or an mp4.`,
        { maxBytes: options.maxBytes },
      );
    }
  }
  gif.finish();
  return gif.bytes();
}
