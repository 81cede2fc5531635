// The one place an artifact becomes a local file: Blender reads models from disk, so an import
// of a stored artifact copies its bytes into the worker's scratch folder for the length of the
// call. Whatever the store (a folder, S3), the file is the worker's own and is removed after.
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { ArtifactRecord, ArtifactStore } from "@bod/storage";

export interface MaterializedArtifact {
  artifact: ArtifactRecord;
  /** The local copy, named `<uuid>.<the artifact's extension>`. */
  path: string;
  /** Deletes the local copy (never the artifact). */
  remove(): Promise<void>;
}

/** Copies the artifact into `directory`; undefined when the store has no such artifact. */
export async function materializeArtifact(
  store: ArtifactStore,
  projectId: string,
  id: string,
  directory: string,
): Promise<MaterializedArtifact | undefined> {
  const content = await store.get(projectId, id);
  if (!content) return undefined;
  const path = join(directory, `${randomUUID()}${id.slice(id.lastIndexOf("."))}`);
  const remove = () => rm(path, { force: true });
  try {
    await mkdir(directory, { recursive: true });
    await pipeline(content.body, createWriteStream(path, { flags: "wx" }));
  } catch (error) {
    content.body.destroy();
    await remove();
    throw error;
  }
  return { artifact: content.artifact, path, remove };
}
