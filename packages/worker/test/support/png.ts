// Reads pixels out of rendered PNGs so tests can check what Blender drew.
import { PNG } from "pngjs";

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

export function decodePng(bytes: Uint8Array): PNG {
  return PNG.sync.read(Buffer.from(bytes));
}

/** Average color of a square of `size` pixels around the image center. */
export function centerColor(png: PNG, size = 9): Rgb {
  const half = Math.floor(size / 2);
  const cx = Math.floor(png.width / 2);
  const cy = Math.floor(png.height / 2);
  let r = 0;
  let g = 0;
  let b = 0;
  let count = 0;
  for (let y = cy - half; y <= cy + half; y++) {
    for (let x = cx - half; x <= cx + half; x++) {
      const offset = (png.width * y + x) * 4;
      r += png.data[offset]!;
      g += png.data[offset + 1]!;
      b += png.data[offset + 2]!;
      count++;
    }
  }
  return { r: r / count, g: g / count, b: b / count };
}
