// The ArtifactStore port: renders, exports and uploads, kept by project and id where any process
// reaches them (the filesystem under the data dir, or an S3 bucket). It deals in bytes and
// streams, never in file paths: only the worker turns an artifact into a local file, for Blender.
import type { Readable } from "node:stream";
import type { Artifact, ArtifactKind } from "@bod/contracts";

/** An artifact as stored: the contracts' Artifact without its URL (each server builds its own), plus its project. */
export type ArtifactRecord = Omit<Artifact, "url"> & {
  /** The project it belongs to; artifacts of one project are never visible through another. */
  projectId: string;
};

/** What a put reads: all the bytes at once, or a stream of them (read once, to the end or the limit). */
export type ArtifactBody = Uint8Array | Readable | AsyncIterable<Uint8Array>;

export interface PutArtifactInput {
  /** 1 to 63 lowercase letters, digits and single hyphens. */
  projectId: string;
  kind: ArtifactKind;
  /** File extension without the dot, 1 to 8 of a-z and 0-9 (e.g. "png"); the end of the id. */
  extension: string;
  /** e.g. "image/png"; served as the Content-Type. */
  mimeType: string;
  body: ArtifactBody;
  /**
   * Refuse a body longer than this many bytes with ArtifactTooLargeError, storing nothing. Without
   * it a put takes any size.
   */
  maxBytes?: number;
}

/** Bytes `start` to `end`, both included, as in HTTP's Range header; without `end`, to the last byte. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface ArtifactContent {
  artifact: ArtifactRecord;
  /** The bytes (those of `range` when one was asked for); destroy it to stop reading early. */
  body: Readable;
  /** The bytes this body holds, both ends included, when a range was asked for; `end` is clamped to the last byte. */
  range?: { start: number; end: number };
}

export interface DownloadUrlOptions {
  /** How long the URL works, seconds: 1 to 604 800 (7 days, the longest an S3 presigned URL lasts). */
  expiresInSeconds: number;
}

/**
 * Where artifacts live. Ids are `<32 lowercase hex>.<extension>` (the contracts' ArtifactIdSchema),
 * fresh and unguessable for every put, and an artifact never changes once stored. A call with an
 * id that is malformed or unknown in that project finds nothing (undefined), rather than failing.
 * Every implementation passes describeArtifactStoreContract (@bod/storage/testing).
 *
 * Failures: InvalidArtifactInputError (a bad argument), ArtifactTooLargeError (over maxBytes),
 * ArtifactRangeNotSatisfiableError (a range past the end), ArtifactStoreUnavailableError (the
 * backend is down, slow past the implementation's deadline, or refuses access). A failed put
 * leaves nothing visible.
 */
export interface ArtifactStore {
  /** Stores a new artifact under a fresh id and returns its record once every byte is stored. */
  put(input: PutArtifactInput): Promise<ArtifactRecord>;
  /** The artifact's record; undefined when there is none. */
  head(projectId: string, id: string): Promise<ArtifactRecord | undefined>;
  /** The artifact's bytes, whole or a range; undefined when there is none. */
  get(projectId: string, id: string, options?: { range?: ByteRange }): Promise<ArtifactContent | undefined>;
  /** The project's artifacts, newest first. */
  list(projectId: string): Promise<ArtifactRecord[]>;
  /** Deletes every artifact of the project (and nothing of any other). */
  deleteProject(projectId: string): Promise<void>;
  /**
   * A URL any HTTP client can GET the artifact from until it expires, without the caller's help
   * (a presigned S3 URL; a signed gateway link for the filesystem). Undefined when there is no
   * such artifact, or when the store has no URLs of its own (a filesystem store built without
   * `signedUrlFor`: then the process holding the store serves the bytes).
   */
  downloadUrl(projectId: string, id: string, options: DownloadUrlOptions): Promise<string | undefined>;
}
