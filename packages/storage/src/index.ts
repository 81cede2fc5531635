// Storage ports and their embedded (filesystem) implementations.
export type { ArtifactStore, PutArtifactInput, StoredArtifact } from "./artifact-store.ts";
export { createFilesystemArtifactStore, type FilesystemArtifactStoreOptions } from "./filesystem-artifact-store.ts";
