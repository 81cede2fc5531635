// The ArtifactStore port: where renders, exports and uploads live. The embedded default is the
// filesystem under the data dir; an S3-compatible store implements the same interface.
import type { Artifact, ArtifactKind } from "@bod/contracts";

export interface PutArtifactInput {
  kind: ArtifactKind;
  /** File extension without the dot, e.g. "png"; becomes part of the id. */
  extension: string;
  mimeType: string;
  /** The bytes, or the path of a finished file to move into the store. */
  source: { bytes: Uint8Array } | { filePath: string };
}

export interface StoredArtifact {
  artifact: Artifact;
  /** A local file with the bytes (filesystem store) for streaming or handing to Blender. */
  filePath: string;
}

export interface ArtifactStore {
  /** Stores a new artifact under a fresh unguessable id. */
  put(input: PutArtifactInput): Promise<Artifact>;
  /** Looks an artifact up by id; undefined when there is none. */
  get(id: string): Promise<StoredArtifact | undefined>;
  /** Every artifact, newest first. */
  list(): Promise<Artifact[]>;
}
