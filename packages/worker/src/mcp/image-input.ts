// The image a texture or world tool reads, as a local file Blender can load: an upload (base64
// `data`, checked by its bytes, then stored as an upload artifact) or a stored artifact (an earlier
// upload, a render), copied into the scratch folder for the length of the call. The scene engine
// keeps its own copy with the scene for replay; Blender packs the image into the .blend.
import { randomUUID } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MAX_UPLOAD_BYTES, ToolError } from "@bod/contracts";
import type { ArtifactRecord, ArtifactStore } from "@bod/storage";
import { checkImage, IMAGE_FORMATS, type ImageFormat } from "./image-check.ts";
import { materializeArtifact } from "./materialize-artifact.ts";

export interface ImageSource {
  /** The local file, named `<uuid>.<format>`. */
  path: string;
  /** The artifact the image is: the stored upload, or the artifact the call named. */
  artifactId: string;
  /** The upload, when the call sent `data`. */
  uploaded?: ArtifactRecord;
  /** Deletes the local file (never the artifact). */
  remove(): Promise<void>;
}

/** Where images come from and go: the project's artifact store and the worker's scratch folder. */
export interface ImageSourceContext {
  readonly store: ArtifactStore;
  readonly projectId: string;
  readonly scratchDirectory: string;
}

/** An artifact's extension as an image format: "jpeg" is "jpg". */
function formatOf(id: string): string {
  const extension = id.slice(id.lastIndexOf(".") + 1).toLowerCase();
  return extension === "jpeg" ? "jpg" : extension;
}

/**
 * The image of a call's `data` or `artifactId` (exactly one, as the contracts make sure), when it is
 * one of `accepted`; throws a ToolError saying what is wrong otherwise, keeping nothing.
 */
export async function prepareImageSource(
  context: ImageSourceContext,
  input: { artifactId?: unknown; data?: unknown },
  accepted: readonly ImageFormat[],
): Promise<ImageSource> {
  const { store, projectId, scratchDirectory } = context;
  await mkdir(scratchDirectory, { recursive: true });
  if (typeof input.data === "string") {
    const bytes = Buffer.from(input.data, "base64");
    if (bytes.length > MAX_UPLOAD_BYTES) {
      throw new ToolError("payload_too_large", `Uploads are at most ${MAX_UPLOAD_BYTES} bytes; this one is ${bytes.length}.`, {
        maxBytes: MAX_UPLOAD_BYTES,
      });
    }
    const { format } = checkImage(bytes, accepted, "The uploaded image");
    const uploaded = await store.put({
      projectId,
      kind: "upload",
      extension: format,
      mimeType: IMAGE_FORMATS[format].mimeType,
      body: bytes,
      maxBytes: MAX_UPLOAD_BYTES,
    });
    const path = join(scratchDirectory, `${randomUUID()}.${format}`);
    await writeFile(path, bytes, { flag: "wx" });
    return { path, artifactId: uploaded.id, uploaded, remove: () => rm(path, { force: true }) };
  }
  const id = String(input.artifactId);
  const missing = () =>
    new ToolError("artifact_not_found", `No artifact ${id} in this project. Use an id returned by render_frame or by an earlier upload.`, {
      artifactId: id,
    });
  const found = await store.head(projectId, id);
  if (!found) throw missing();
  const format = formatOf(found.id);
  if (!(accepted as readonly string[]).includes(format)) {
    throw new ToolError(
      "unsupported_format",
      `Artifact ${found.id} is a .${format} file; this takes ${accepted.map((name) => IMAGE_FORMATS[name].name).join(", ")} images.`,
      { artifactId: found.id, accepted },
    );
  }
  const local = await materializeArtifact(store, projectId, id, scratchDirectory);
  if (!local) throw missing();
  try {
    checkImage(await readFile(local.path), [format as ImageFormat], `Artifact ${found.id}`);
  } catch (error) {
    await local.remove();
    throw error;
  }
  return { path: local.path, artifactId: found.id, remove: local.remove };
}
