// Checks uploaded model bytes before Blender sees them: the format must match the bytes, and
// a glTF may not reference files outside itself (Blender would read them from disk).
import { type ImportFormat, ToolError } from "@bod/contracts";

const textDecoder = new TextDecoder("utf-8", { fatal: false });

function reject(format: ImportFormat, why: string): never {
  throw new ToolError("invalid_arguments", `The uploaded bytes are not a valid ${format} file: ${why}`);
}

function checkGltfJson(format: ImportFormat, json: unknown): void {
  if (typeof json !== "object" || json === null) reject(format, "the glTF JSON is not an object.");
  const gltf = json as { asset?: { version?: unknown }; buffers?: { uri?: unknown }[]; images?: { uri?: unknown }[] };
  if (typeof gltf.asset?.version !== "string") reject(format, "asset.version is missing.");
  for (const entry of [...(gltf.buffers ?? []), ...(gltf.images ?? [])]) {
    if (typeof entry.uri === "string" && !entry.uri.startsWith("data:")) {
      reject(format, `it references the external file "${entry.uri}"; embed buffers and images (data: URIs) or upload a .glb.`);
    }
  }
}

/** Throws a ToolError saying what is wrong when `bytes` is not a plausible file of `format`. */
export function checkUpload(format: ImportFormat, bytes: Uint8Array): void {
  if (bytes.length === 0) reject(format, "it is empty.");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (format) {
    case "glb": {
      if (bytes.length < 20 || textDecoder.decode(bytes.subarray(0, 4)) !== "glTF") reject(format, 'it does not start with "glTF".');
      if (view.getUint32(4, true) !== 2) reject(format, "only glTF 2.0 is supported.");
      if (view.getUint32(8, true) !== bytes.length) reject(format, "the length in its header does not match its size.");
      const jsonLength = view.getUint32(12, true);
      if (view.getUint32(16, true) !== 0x4e4f534a || 20 + jsonLength > bytes.length) reject(format, "its first chunk is not JSON.");
      try {
        checkGltfJson(format, JSON.parse(textDecoder.decode(bytes.subarray(20, 20 + jsonLength))));
      } catch (error) {
        if (error instanceof ToolError) throw error;
        reject(format, "its JSON chunk does not parse.");
      }
      return;
    }
    case "gltf": {
      let json: unknown;
      try {
        json = JSON.parse(textDecoder.decode(bytes));
      } catch {
        reject(format, "it is not JSON.");
      }
      checkGltfJson(format, json);
      return;
    }
    case "obj": {
      const text = textDecoder.decode(bytes);
      if (text.includes("\0")) reject(format, "it is binary; OBJ is text.");
      if (!/^\s*v\s+-?[\d.]/m.test(text)) reject(format, 'it has no vertex ("v x y z") lines.');
      if (/^\s*mtllib\s/m.test(text)) reject(format, "it references a material library (mtllib); upload a .glb to keep materials.");
      return;
    }
    case "stl": {
      const isAscii = textDecoder.decode(bytes.subarray(0, 5)) === "solid" && textDecoder.decode(bytes).includes("facet");
      if (isAscii) return;
      if (bytes.length < 84) reject(format, "it is shorter than a binary STL header.");
      const triangles = view.getUint32(80, true);
      if (84 + triangles * 50 !== bytes.length) reject(format, `its header promises ${triangles} triangles but the size does not match.`);
      return;
    }
    case "fbx": {
      const head = textDecoder.decode(bytes.subarray(0, 20));
      if (head !== "Kaydara FBX Binary  " && !textDecoder.decode(bytes.subarray(0, 200)).includes("FBX")) {
        reject(format, 'it does not start with the FBX signature "Kaydara FBX Binary".');
      }
      return;
    }
  }
}
