// Storage ports and their embedded (filesystem) implementations.
export type { ArtifactStore, PutArtifactInput, StoredArtifact } from "./artifact-store.ts";
export { createFileSceneStore, type FileSceneStoreOptions } from "./file-scene-store.ts";
export { createFilesystemArtifactStore, type FilesystemArtifactStoreOptions } from "./filesystem-artifact-store.ts";
export {
  createS3Client,
  formatS3Location,
  InvalidS3LocationError,
  parseS3Location,
  type S3ClientOptions,
  type S3Location,
  s3Key,
} from "./s3-location.ts";
export { createPostgresS3SceneStore, type PostgresS3SceneStoreOptions } from "./postgres-s3-scene-store.ts";
export type { JournalLine, ProjectScene, SceneStore } from "./scene-store.ts";
export { type SceneStoreBackend, SceneStoreUnavailableError } from "./scene-store-unavailable-error.ts";
