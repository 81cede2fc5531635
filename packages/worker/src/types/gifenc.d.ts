// Types for gifenc (a GIF encoder that ships JavaScript only): the part render_animation uses.
// Node loads its CommonJS build, whose exports arrive as the default export; bundlers and vitest
// load its ES module build, whose exports are named: encode-gif.ts takes whichever it gets.
declare module "gifenc" {
  /** Colors as [r, g, b] (or [r, g, b, a]), channels 0..255. */
  export type Palette = number[][];
  export type ColorFormat = "rgb565" | "rgb444" | "rgba4444";

  export interface FrameOptions {
    /** The frame's colors: the global table on the first frame, a local one on later frames. */
    palette?: Palette;
    /** Milliseconds the frame shows; the file keeps hundredths of a second. */
    delay?: number;
    /** -1 plays once, 0 loops forever, n loops n times (first frame only). */
    repeat?: number;
    transparent?: boolean;
    transparentIndex?: number;
    dispose?: number;
  }

  export interface GifEncoder {
    writeFrame(index: Uint8Array, width: number, height: number, options?: FrameOptions): void;
    finish(): void;
    /** A copy of the bytes written so far. */
    bytes(): Uint8Array;
    /** The bytes written so far, without copying. */
    bytesView(): Uint8Array;
  }

  export function GIFEncoder(options?: { auto?: boolean; initialCapacity?: number }): GifEncoder;
  /** A palette of at most `maxColors` colors for RGBA pixels. */
  export function quantize(rgba: Uint8Array | Uint8ClampedArray, maxColors: number, options?: { format?: ColorFormat }): Palette;
  /** Each pixel's index into `palette`. */
  export function applyPalette(rgba: Uint8Array | Uint8ClampedArray, palette: Palette, format?: ColorFormat): Uint8Array;
}
