// Image bytes are told apart by their signatures, must be whole, and are refused past the size limits.
import { deflateSync } from "node:zlib";
import { MAX_IMAGE_EDGE, ToolError } from "@bod/contracts";
import { describe, expect, it } from "vitest";
import { checkImage, sniffImageFormat } from "./image-check.ts";

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
  return Buffer.concat([head, data, crc]);
}

/** A gray PNG of width x height whose IHDR may claim another size. */
function png(width: number, height: number, claimed = { width, height }): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(claimed.width, 0);
  header.writeUInt32BE(claimed.height, 4);
  header.set([8, 0, 0, 0, 0], 8);
  const raw = Buffer.alloc((width + 1) * height, 128);
  return Buffer.concat([
    Buffer.from("\x89PNG\r\n\x1a\n", "latin1"),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", new Uint8Array()),
  ]);
}

/** The segments of a baseline JPEG that say its size: SOI, APP0, SOF0, SOS, EOI (no real scan data). */
function jpeg(width: number, height: number, { end = true } = {}): Buffer {
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, ...Buffer.from("JFIF\0", "latin1"), 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  const sof = Buffer.from([0xff, 0xc0, 0x00, 0x0b, 8, height >> 8, height & 255, width >> 8, width & 255, 1, 1, 0x11, 0]);
  const sos = Buffer.from([0xff, 0xda, 0x00, 0x08, 1, 1, 0, 0, 63, 0, 1, 2, 3]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof, sos, end ? Buffer.from([0xff, 0xd9]) : Buffer.alloc(0)]);
}

function hdr(width: number, height: number): Buffer {
  const header = Buffer.from(`#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y ${height} +X ${width}\n`, "latin1");
  return Buffer.concat([header, Buffer.alloc(width * height * 4, 128)]);
}

function exr(width: number, height: number): Buffer {
  const attribute = (name: string, type: string, value: Buffer) => {
    const size = Buffer.alloc(4);
    size.writeInt32LE(value.length);
    return Buffer.concat([Buffer.from(`${name}\0${type}\0`, "latin1"), size, value]);
  };
  const box = Buffer.alloc(16);
  box.writeInt32LE(0, 0);
  box.writeInt32LE(0, 4);
  box.writeInt32LE(width - 1, 8);
  box.writeInt32LE(height - 1, 12);
  return Buffer.concat([
    Buffer.from([0x76, 0x2f, 0x31, 0x01, 2, 0, 0, 0]),
    attribute("compression", "compression", Buffer.from([0])),
    attribute("dataWindow", "box2i", box),
    Buffer.from([0]),
  ]);
}

function refusal(run: () => unknown): ToolError {
  try {
    run();
  } catch (error) {
    if (ToolError.is(error)) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("checkImage", () => {
  it("reads the format and size of PNG, JPEG, HDR and EXR from their bytes", () => {
    expect(checkImage(png(3, 2), ["png"])).toEqual({ format: "png", width: 3, height: 2 });
    expect(checkImage(jpeg(640, 480), ["png", "jpg"])).toEqual({ format: "jpg", width: 640, height: 480 });
    expect(checkImage(hdr(8, 4), ["hdr"])).toEqual({ format: "hdr", width: 8, height: 4 });
    expect(checkImage(exr(1024, 512), ["exr"])).toEqual({ format: "exr", width: 1024, height: 512 });
    expect(sniffImageFormat(Buffer.from("glTF"))).toBeUndefined();
  });

  it("refuses what is no image, saying which formats it takes", () => {
    const error = refusal(() => checkImage(Buffer.from("not an image at all"), ["png", "jpg"], "The uploaded image"));
    expect(error.code).toBe("invalid_arguments");
    expect(error.message).toMatch(/The uploaded image is not a valid PNG or JPEG file: its first bytes \(6e 6f 74/);
    expect(refusal(() => checkImage(new Uint8Array(), ["png"])).message).toMatch(/empty/);
  });

  it("refuses an image of another format with unsupported_format", () => {
    const error = refusal(() => checkImage(hdr(8, 4), ["png", "jpg"]));
    expect(error.code).toBe("unsupported_format");
    expect(error.message).toMatch(/is a Radiance HDR file; this takes PNG or JPEG/);
  });

  it("refuses files cut short", () => {
    const whole = png(4, 4);
    expect(refusal(() => checkImage(whole.subarray(0, whole.length - 12), ["png"])).message).toMatch(/cut short/);
    expect(refusal(() => checkImage(jpeg(4, 4, { end: false }), ["jpg"])).message).toMatch(/cut short/);
    expect(refusal(() => checkImage(Buffer.from("#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n"), ["hdr"])).message).toMatch(/header does not end/);
    expect(refusal(() => checkImage(exr(4, 4).subarray(0, 30), ["exr"])).message).toMatch(/dataWindow/);
  });

  it("refuses images larger than the limits, however small the file", () => {
    // A PNG header may claim any size: 20000 x 20000 would decompress to over a gigabyte in Blender.
    const bomb = refusal(() => checkImage(png(1, 1, { width: 20_000, height: 20_000 }), ["png"]));
    expect(bomb.code).toBe("payload_too_large");
    expect(bomb.message).toMatch(new RegExp(`at most ${MAX_IMAGE_EDGE} pixels a side`));
    expect(refusal(() => checkImage(exr(16_000, 16_000), ["exr"])).message).toMatch(/megapixels/);
    expect(refusal(() => checkImage(png(1, 1, { width: 0, height: 5 }), ["png"])).message).toMatch(/0x5/);
  });
});
