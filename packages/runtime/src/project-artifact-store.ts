// The embedded artifact store over the local runtime's project folders: a project's artifacts
// are the `artifacts` folder of its project folder, wherever that folder is right now (at home,
// or moved into the sandbox of the worker that holds it). The runtime's artifact route and the
// gateway read through it; the worker writes the same folder from inside its sandbox.
import { join } from "node:path";
import { type ArtifactStore, createFilesystemArtifactStore, type FilesystemArtifactStoreOptions } from "@bod/storage";

export function createProjectArtifactStore(
  projectDirOf: (projectId: string) => string,
  options: Omit<FilesystemArtifactStoreOptions, "directoryOf"> = {},
): ArtifactStore {
  return createFilesystemArtifactStore({ ...options, directoryOf: (projectId) => join(projectDirOf(projectId), "artifacts") });
}
