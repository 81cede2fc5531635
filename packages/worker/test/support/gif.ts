// Reads animated GIFs back (blocks, loop count, delays, LZW-compressed pixels) so tests can check
// what render_animation made: its size, frame count, timing and colors.

export interface GifFrame {
  /** Hundredths of a second the frame shows. */
  delayCs: number;
  width: number;
  height: number;
  /** RGBA, 4 bytes a pixel, row by row. */
  pixels: Uint8Array;
}

export interface Gif {
  width: number;
  height: number;
  /** The NETSCAPE2.0 loop count (0: forever), or undefined when the GIF plays once. */
  loop: number | undefined;
  frames: GifFrame[];
}

function lzwDecode(minCodeSize: number, data: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(count);
  let written = 0;
  const clear = 1 << minCodeSize;
  const end = clear + 1;
  let size = minCodeSize + 1;
  let table: number[][] = [];
  const reset = () => {
    table = Array.from({ length: clear }, (_, index) => [index]);
    table.push([], []);
    size = minCodeSize + 1;
  };
  reset();
  let bit = 0;
  const read = (): number => {
    let code = 0;
    for (let index = 0; index < size; index++) {
      const byte = data[bit >> 3];
      if (byte === undefined) return end;
      code |= ((byte >> (bit & 7)) & 1) << index;
      bit++;
    }
    return code;
  };
  let previous: number[] | undefined;
  for (;;) {
    const code = read();
    if (code === clear) {
      reset();
      previous = undefined;
      continue;
    }
    if (code === end) break;
    let entry = table[code];
    if (entry === undefined) {
      if (!previous || code !== table.length) throw new Error(`bad LZW code ${code}`);
      entry = [...previous, previous[0] as number];
    }
    for (const value of entry) if (written < count) out[written++] = value;
    if (previous) table.push([...previous, entry[0] as number]);
    if (table.length >= 1 << size && size < 12) size++;
    previous = entry;
  }
  return out;
}

/** Parses a GIF87a/89a file; throws on anything malformed. */
export function decodeGif(bytes: Uint8Array): Gif {
  const buffer = Buffer.from(bytes);
  const signature = buffer.toString("latin1", 0, 6);
  if (signature !== "GIF89a" && signature !== "GIF87a") throw new Error(`not a GIF: ${JSON.stringify(signature)}`);
  const width = buffer.readUInt16LE(6);
  const height = buffer.readUInt16LE(8);
  const packed = buffer[10] as number;
  let offset = 13;
  const colorTable = (flags: number) => {
    const entries = 2 ** ((flags & 7) + 1);
    const table = buffer.subarray(offset, offset + entries * 3);
    offset += entries * 3;
    return table;
  };
  const globalTable = packed & 0x80 ? colorTable(packed) : undefined;
  const subBlocks = () => {
    const parts: Buffer[] = [];
    for (;;) {
      const length = buffer[offset++];
      if (length === undefined) throw new Error("GIF ends inside a block");
      if (length === 0) return Buffer.concat(parts);
      parts.push(buffer.subarray(offset, offset + length));
      offset += length;
    }
  };
  let loop: number | undefined;
  let delayCs = 0;
  const frames: GifFrame[] = [];
  for (;;) {
    const introducer = buffer[offset++];
    if (introducer === 0x3b) break;
    if (introducer === 0x21) {
      const label = buffer[offset++];
      const body = subBlocks();
      if (label === 0xf9) delayCs = body.readUInt16LE(1);
      if (label === 0xff && body.toString("latin1", 0, 11) === "NETSCAPE2.0") loop = body.readUInt16LE(12);
      continue;
    }
    if (introducer !== 0x2c) throw new Error(`unexpected GIF block 0x${introducer?.toString(16)} at ${offset - 1}`);
    const frameWidth = buffer.readUInt16LE(offset + 4);
    const frameHeight = buffer.readUInt16LE(offset + 6);
    const flags = buffer[offset + 8] as number;
    offset += 9;
    const table = flags & 0x80 ? colorTable(flags) : globalTable;
    if (!table) throw new Error("a GIF frame without a color table");
    const minCodeSize = buffer[offset++] as number;
    const indices = lzwDecode(minCodeSize, subBlocks(), frameWidth * frameHeight);
    const pixels = new Uint8Array(indices.length * 4);
    for (const [pixel, index] of indices.entries()) {
      pixels.set([table[index * 3] ?? 0, table[index * 3 + 1] ?? 0, table[index * 3 + 2] ?? 0, 255], pixel * 4);
    }
    frames.push({ delayCs, width: frameWidth, height: frameHeight, pixels });
  }
  return { width, height, loop, frames };
}

/** The average color of a frame's center square of `size` pixels. */
export function gifCenterColor(frame: GifFrame, size = 9): { r: number; g: number; b: number } {
  const half = Math.floor(size / 2);
  const cx = Math.floor(frame.width / 2);
  const cy = Math.floor(frame.height / 2);
  const sum = { r: 0, g: 0, b: 0 };
  let count = 0;
  for (let y = cy - half; y <= cy + half; y++) {
    for (let x = cx - half; x <= cx + half; x++) {
      const offset = (frame.width * y + x) * 4;
      sum.r += frame.pixels[offset] ?? 0;
      sum.g += frame.pixels[offset + 1] ?? 0;
      sum.b += frame.pixels[offset + 2] ?? 0;
      count++;
    }
  }
  return { r: sum.r / count, g: sum.g / count, b: sum.b / count };
}
