// Storage ports, their embedded implementations over folders, and what every process shares
// (errors, s3:// URLs). The scale-out implementations are `@bod/storage/scale-out`.
export { isArtifactId } from "@bod/contracts";
export { MAX_DOWNLOAD_URL_SECONDS } from "./artifact-input.ts";
export { type ArtifactResponseOptions, artifactResponse, parseRangeHeader, type RangeRequest } from "./artifact-response.ts";
export type {
  ArtifactBody,
  ArtifactContent,
  ArtifactRecord,
  ArtifactStore,
  ByteRange,
  DownloadUrlOptions,
  PutArtifactInput,
} from "./artifact-store.ts";
export { contentDispositionFor } from "./content-disposition.ts";
export { ArtifactRangeNotSatisfiableError } from "./errors/artifact-range-not-satisfiable-error.ts";
export { ARTIFACT_STORE_ERROR_CODES, ArtifactStoreError, type ArtifactStoreErrorCode } from "./errors/artifact-store-error.ts";
export {
  type ArtifactStoreUnavailableDetails,
  ArtifactStoreUnavailableError,
  type ArtifactStoreUnavailableReason,
} from "./errors/artifact-store-unavailable-error.ts";
export { ArtifactTooLargeError } from "./errors/artifact-too-large-error.ts";
export { InvalidArtifactInputError } from "./errors/invalid-artifact-input-error.ts";
export { createFileSceneStore, type FileSceneStoreOptions } from "./file-scene-store.ts";
export { createFilesystemArtifactStore, type FilesystemArtifactStoreOptions } from "./filesystem-artifact-store.ts";
export {
  formatS3Location,
  InvalidS3LocationError,
  parseS3Location,
  type S3Location,
  s3Key,
} from "./s3-location.ts";
export type { JournalLine, OpenSceneOptions, ProjectScene, SceneStore } from "./scene-store.ts";
export { type SceneStoreBackend, SceneStoreUnavailableError } from "./scene-store-unavailable-error.ts";
export { SceneSupersededError } from "./scene-superseded-error.ts";
