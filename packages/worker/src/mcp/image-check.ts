// Checks image bytes before Blender sees them: the format comes from the magic bytes (never from a
// name), the file must be whole as far as its header tells, and its size in pixels must be sane, so
// a small upload cannot decompress into gigabytes inside Blender.
import { MAX_IMAGE_EDGE, MAX_IMAGE_PIXELS, ToolError } from "@bod/contracts";

/** Image formats the texture tools read, by the artifact extension they are stored with. */
export const IMAGE_FORMATS = {
  png: { name: "PNG", mimeType: "image/png" },
  jpg: { name: "JPEG", mimeType: "image/jpeg" },
  hdr: { name: "Radiance HDR", mimeType: "image/vnd.radiance" },
  exr: { name: "OpenEXR", mimeType: "image/x-exr" },
} as const;
export type ImageFormat = keyof typeof IMAGE_FORMATS;

export interface ImageInfo {
  format: ImageFormat;
  /** Pixels. */
  width: number;
  height: number;
}

// Only ever given ASCII text to decode (signatures, header lines), where any single-byte decoder agrees.
const latin1 = new TextDecoder("latin1");
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The format `bytes` start like, or undefined. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  const head = latin1.decode(bytes.subarray(0, 10));
  if (PNG_SIGNATURE.every((byte, index) => bytes[index] === byte)) return "png";
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpg";
  if (head.startsWith("#?RADIANCE") || head.startsWith("#?RGBE")) return "hdr";
  if (bytes[0] === 0x76 && bytes[1] === 0x2f && bytes[2] === 0x31 && bytes[3] === 0x01) return "exr";
  return undefined;
}

function names(formats: readonly ImageFormat[]): string {
  const listed = formats.map((format) => IMAGE_FORMATS[format].name);
  return listed.length > 1 ? `${listed.slice(0, -1).join(", ")} or ${listed.at(-1)}` : (listed[0] ?? "");
}

function hex(bytes: Uint8Array): string {
  return [...bytes.subarray(0, 8)].map((byte) => byte.toString(16).padStart(2, "0")).join(" ");
}

/**
 * Throws a ToolError (invalid_arguments, or unsupported_format for an image of another format)
 * saying what is wrong unless `bytes` are a whole image of one of `accepted`, at most
 * MAX_IMAGE_EDGE pixels a side and MAX_IMAGE_PIXELS in all. `what` names the image in messages.
 */
export function checkImage(bytes: Uint8Array, accepted: readonly ImageFormat[], what = "The image"): ImageInfo {
  const invalid = (why: string): never => {
    throw new ToolError("invalid_arguments", `${what} is not a valid ${names(accepted)} file: ${why}`);
  };
  if (bytes.length === 0) invalid("it is empty.");
  const format = sniffImageFormat(bytes);
  if (format === undefined) invalid(`its first bytes (${hex(bytes)}) are no image signature Blender reads here.`);
  if (!accepted.includes(format as ImageFormat)) {
    throw new ToolError(
      "unsupported_format",
      `${what} is a ${IMAGE_FORMATS[format as ImageFormat].name} file; this takes ${names(accepted)}.`,
      { format, accepted },
    );
  }
  const size = readSize(format as ImageFormat, bytes, invalid);
  const { width, height } = size;
  if (width < 1 || height < 1) invalid(`its header gives a size of ${width}x${height} pixels.`);
  if (width > MAX_IMAGE_EDGE || height > MAX_IMAGE_EDGE || width * height > MAX_IMAGE_PIXELS) {
    throw new ToolError(
      "payload_too_large",
      `${what} is ${width}x${height} pixels; images are at most ${MAX_IMAGE_EDGE} pixels a side and ${MAX_IMAGE_PIXELS / 1024 / 1024} megapixels in all. Scale it down.`,
      { width, height, maxEdge: MAX_IMAGE_EDGE, maxPixels: MAX_IMAGE_PIXELS },
    );
  }
  return { format: format as ImageFormat, width, height };
}

function readSize(format: ImageFormat, bytes: Uint8Array, invalid: (why: string) => never): { width: number; height: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (format) {
    case "png": {
      if (bytes.length < 45 || latin1.decode(bytes.subarray(12, 16)) !== "IHDR") invalid("it has no IHDR header chunk.");
      // The last chunk is IEND: length 0, type, CRC; a file cut short lacks it.
      if (latin1.decode(bytes.subarray(bytes.length - 8, bytes.length - 4)) !== "IEND")
        invalid("it is cut short (no IEND chunk at its end).");
      return { width: view.getUint32(16), height: view.getUint32(20) };
    }
    case "jpg": {
      const size = jpegSize(bytes, view);
      if (!size) invalid("it has no frame header (SOF) with its size.");
      // Some writers leave padding after the end marker, so it is looked for near the end; a file cut short has none.
      if (!hasEndMarker(bytes.subarray(Math.max(0, bytes.length - 4096)))) invalid("it is cut short (no end-of-image marker).");
      return size as { width: number; height: number };
    }
    case "hdr": {
      // Header lines, an empty line, then the resolution line: "-Y 512 +X 1024" (or another orientation).
      const text = latin1.decode(bytes.subarray(0, Math.min(bytes.length, 8192)));
      const end = text.indexOf("\n\n");
      if (end === -1) invalid("its header does not end.");
      const match = /^([-+])([XY]) (\d{1,9}) ([-+])([XY]) (\d{1,9})\r?\n/.exec(text.slice(end + 2));
      if (!match || match[2] === match[5]) invalid("it has no resolution line (like -Y 512 +X 1024) after its header.");
      const [first, second] = [Number(match?.[3]), Number(match?.[6])];
      return match?.[2] === "Y" ? { width: second, height: first } : { width: first, height: second };
    }
    case "exr": {
      const window = exrDataWindow(bytes, view);
      if (!window) invalid("its header has no dataWindow.");
      const [xMin, yMin, xMax, yMax] = window as [number, number, number, number];
      return { width: xMax - xMin + 1, height: yMax - yMin + 1 };
    }
  }
}

function hasEndMarker(bytes: Uint8Array): boolean {
  for (let index = bytes.length - 2; index >= 0; index--) if (bytes[index] === 0xff && bytes[index + 1] === 0xd9) return true;
  return false;
}

/** The size in a JPEG's first frame header (SOF0..SOF15 but DHT, JPG and DAC), walking its segments. */
function jpegSize(bytes: Uint8Array, view: DataView): { width: number; height: number } | undefined {
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return undefined;
    const marker = bytes[offset + 1] as number;
    if (marker === 0xff) {
      offset += 1;
      continue;
    }
    // Markers without a length: TEM, RST0..7.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2;
      continue;
    }
    const length = view.getUint16(offset + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (offset + 9 > bytes.length) return undefined;
      return { height: view.getUint16(offset + 5), width: view.getUint16(offset + 7) };
    }
    if (marker === 0xda || length < 2) return undefined;
    offset += 2 + length;
  }
  return undefined;
}

/** xMin, yMin, xMax, yMax of an OpenEXR header's dataWindow attribute (box2i). */
function exrDataWindow(bytes: Uint8Array, view: DataView): [number, number, number, number] | undefined {
  let offset = 8;
  const readName = () => {
    const end = bytes.indexOf(0, offset);
    if (end === -1 || end - offset > 255) return undefined;
    const name = latin1.decode(bytes.subarray(offset, end));
    offset = end + 1;
    return name;
  };
  for (let attributes = 0; attributes < 1000; attributes++) {
    const name = readName();
    if (!name) return undefined;
    const type = readName();
    if (type === undefined || offset + 4 > bytes.length) return undefined;
    const size = view.getInt32(offset, true);
    offset += 4;
    if (size < 0 || offset + size > bytes.length) return undefined;
    if (name === "dataWindow" && type === "box2i" && size === 16) {
      return [
        view.getInt32(offset, true),
        view.getInt32(offset + 4, true),
        view.getInt32(offset + 8, true),
        view.getInt32(offset + 12, true),
      ];
    }
    offset += size;
  }
  return undefined;
}
