// Reads the entries of a zip file (stored or deflated) so tests can check render_animation's PNG
// sequences: names in order and each file's bytes, checked against the central directory.
import { inflateRawSync } from "node:zlib";

export interface ZipEntry {
  name: string;
  data: Buffer;
}

/** The entries of a zip, in the order of its local headers; throws when the archive is not whole. */
export function readZip(bytes: Uint8Array): ZipEntry[] {
  const buffer = Buffer.from(bytes);
  const endOffset = buffer.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (endOffset < 0) throw new Error("no end of central directory record");
  const listed = buffer.readUInt16LE(endOffset + 10);
  const entries: ZipEntry[] = [];
  let offset = 0;
  while (buffer.readUInt32LE(offset) === 0x04034b50) {
    const method = buffer.readUInt16LE(offset + 8);
    const compressedSize = buffer.readUInt32LE(offset + 18);
    const size = buffer.readUInt32LE(offset + 22);
    const nameLength = buffer.readUInt16LE(offset + 26);
    const extraLength = buffer.readUInt16LE(offset + 28);
    const name = buffer.toString("utf8", offset + 30, offset + 30 + nameLength);
    const start = offset + 30 + nameLength + extraLength;
    const raw = buffer.subarray(start, start + compressedSize);
    const data = method === 0 ? raw : method === 8 ? inflateRawSync(raw) : undefined;
    if (!data) throw new Error(`${name}: compression method ${method}`);
    if (data.length !== size) throw new Error(`${name}: ${data.length} bytes where the header says ${size}`);
    entries.push({ name, data });
    offset = start + compressedSize;
  }
  if (entries.length !== listed) throw new Error(`${entries.length} entries read, the central directory lists ${listed}`);
  return entries;
}
