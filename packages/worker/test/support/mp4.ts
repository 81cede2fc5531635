// Reads the boxes of an MP4 file (ISO BMFF) so tests can check what render_animation made: the
// brand, the video track's codec and size, its frame count and duration, and that it has media.

export interface Mp4Video {
  /** ftyp's major brand, e.g. "isom". */
  brand: string;
  /** The video sample entry's type: "avc1" for H.264. */
  codec: string;
  /** Whether the sample entry carries its decoder configuration (avcC for H.264). */
  hasDecoderConfig: boolean;
  width: number;
  height: number;
  /** Samples (frames) in the video track. */
  frames: number;
  /** The video track's duration in seconds. */
  durationSeconds: number;
  /** Bytes of media data (mdat). */
  mediaBytes: number;
}

interface Box {
  type: string;
  /** The box's payload, after its header. */
  body: Buffer;
}

function boxes(buffer: Buffer): Box[] {
  const found: Box[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    let size = buffer.readUInt32BE(offset);
    const type = buffer.toString("latin1", offset + 4, offset + 8);
    let header = 8;
    if (size === 1) {
      size = Number(buffer.readBigUInt64BE(offset + 8));
      header = 16;
    } else if (size === 0) {
      size = buffer.length - offset;
    }
    if (size < header || offset + size > buffer.length) throw new Error(`box ${type} at ${offset} runs past the end (${size} bytes)`);
    found.push({ type, body: buffer.subarray(offset + header, offset + size) });
    offset += size;
  }
  return found;
}

function child(box: Box | undefined, type: string): Box {
  const found = box && boxes(box.body).find((entry) => entry.type === type);
  if (!found) throw new Error(`no ${type} box in ${box?.type ?? "file"}`);
  return found;
}

/** Summarises the first video track of an MP4; throws when the structure is not a playable video's. */
export function readMp4(bytes: Uint8Array): Mp4Video {
  const file = Buffer.from(bytes);
  const top = boxes(file);
  const ftyp = top.find((box) => box.type === "ftyp");
  const moov = top.find((box) => box.type === "moov");
  const mdat = top.filter((box) => box.type === "mdat");
  if (!ftyp || !moov) throw new Error(`an MP4 needs ftyp and moov; found ${top.map((box) => box.type).join(", ")}`);
  const track = boxes(moov.body)
    .filter((box) => box.type === "trak")
    .find((trak) => child(child(trak, "mdia"), "hdlr").body.toString("latin1", 8, 12) === "vide");
  if (!track) throw new Error("no video track");
  const mdia = child(track, "mdia");
  const mdhd = child(mdia, "mdhd").body;
  const v1 = mdhd[0] === 1;
  const timescale = mdhd.readUInt32BE(v1 ? 20 : 12);
  const duration = v1 ? Number(mdhd.readBigUInt64BE(24)) : mdhd.readUInt32BE(16);
  const stbl = child(child(mdia, "minf"), "stbl");
  const stsd = child(stbl, "stsd").body;
  // stsd: version and flags, entry count, then the sample entries (boxes themselves).
  const [entry] = boxes(stsd.subarray(8));
  if (!entry) throw new Error("no sample entry");
  // A visual sample entry: 6 reserved bytes, a data reference index, 16 bytes of pre-defined and
  // reserved fields, then width and height; its own boxes (avcC) start 78 bytes in.
  const width = entry.body.readUInt16BE(24);
  const height = entry.body.readUInt16BE(26);
  const hasDecoderConfig = boxes(entry.body.subarray(78)).some((box) => box.type === "avcC" || box.type === "hvcC");
  const stsz = child(stbl, "stsz").body;
  return {
    brand: ftyp.body.toString("latin1", 0, 4),
    codec: entry.type,
    hasDecoderConfig,
    width,
    height,
    frames: stsz.readUInt32BE(8),
    durationSeconds: duration / timescale,
    mediaBytes: mdat.reduce((sum, box) => sum + box.body.length, 0),
  };
}
