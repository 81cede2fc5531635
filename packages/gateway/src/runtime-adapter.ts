// The gateway's runtime ports over the runtime package's local activator: instance state from
// `list`, releasing a project as drain-then-delete, and artifacts read from the project's folder.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { createFilesystemArtifactStore } from "@bod/storage";
import type { ArtifactFiles, InstanceView, ProjectRuntime } from "./ports.ts";

/** What the adapter needs of a LocalRuntime. */
export interface LocalRuntimeLike {
  list(): Promise<Array<InstanceView & { projectId: string }>>;
  drain(projectId: string): Promise<void>;
  /** Where the project's files are right now (they move while a worker holds them). */
  projectDirOf(projectId: string): string;
}

export function createRuntimeAdapter(runtime: LocalRuntimeLike): ProjectRuntime & ArtifactFiles {
  // Listing measures every instance's memory; lookups that overlap (a project list) share one.
  let listing: ReturnType<LocalRuntimeLike["list"]> | undefined;
  const list = () => {
    listing ??= runtime.list().finally(() => {
      listing = undefined;
    });
    return listing;
  };
  return {
    async instance(projectId) {
      return (await list()).find((instance) => instance.projectId === projectId);
    },
    async release(projectId) {
      // The drain saves the scene and moves the folder back home; then the whole folder goes.
      await runtime.drain(projectId);
      await rm(runtime.projectDirOf(projectId), { recursive: true, force: true });
    },
    async get(projectId, artifactId) {
      // The folder is renamed when a worker starts or stops; look again if it moved under us.
      for (let attempt = 0; attempt < 2; attempt++) {
        const store = createFilesystemArtifactStore({ directory: join(runtime.projectDirOf(projectId), "artifacts"), urlFor: (id) => id });
        const found = await store.get(artifactId);
        if (found)
          return { filePath: found.filePath, mimeType: found.artifact.mimeType, bytes: found.artifact.bytes, kind: found.artifact.kind };
      }
      return undefined;
    },
  };
}
