// The checks every ArtifactStore applies before it touches its backend, so that the filesystem
// and S3 stores accept and refuse exactly the same input, and the fresh ids they hand out.
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { ARTIFACT_KINDS, isProjectId } from "@bod/contracts";
import type { ArtifactBody, ByteRange, PutArtifactInput } from "./artifact-store.ts";
import { ArtifactTooLargeError } from "./errors/artifact-too-large-error.ts";
import { InvalidArtifactInputError } from "./errors/invalid-artifact-input-error.ts";

const EXTENSION = /^[a-z0-9]{1,8}$/;
const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/i;
/** The longest an S3 presigned URL (SigV4) stays valid. */
export const MAX_DOWNLOAD_URL_SECONDS = 604_800;

/** Project ids are slugs (the contracts' PROJECT_ID_PATTERN), so one never climbs out of a folder or key prefix. */
export function assertProjectId(projectId: unknown): string {
  if (!isProjectId(projectId))
    throw new InvalidArtifactInputError("projectId", projectId, "1 to 63 lowercase letters, digits and single hyphens.");
  return projectId;
}

/** Checks a put's arguments; throws InvalidArtifactInputError naming the first that is wrong. */
export function checkPutInput(input: PutArtifactInput): void {
  assertProjectId(input.projectId);
  if (!(ARTIFACT_KINDS as readonly string[]).includes(input.kind))
    throw new InvalidArtifactInputError("kind", input.kind, `one of ${ARTIFACT_KINDS.join(", ")}.`);
  if (typeof input.extension !== "string" || !EXTENSION.test(input.extension))
    throw new InvalidArtifactInputError("extension", input.extension, "1 to 8 lowercase letters and digits, without the dot.");
  if (typeof input.mimeType !== "string" || !MIME_TYPE.test(input.mimeType))
    throw new InvalidArtifactInputError("mimeType", input.mimeType, 'a MIME type such as "image/png", without parameters.');
  if (input.maxBytes !== undefined && !(Number.isSafeInteger(input.maxBytes) && input.maxBytes >= 0))
    throw new InvalidArtifactInputError("maxBytes", input.maxBytes, "a whole number of bytes, 0 or more.");
}

/** Checks a range; throws InvalidArtifactInputError when it is not one. */
export function checkRange(range: ByteRange): void {
  if (!Number.isSafeInteger(range.start) || range.start < 0)
    throw new InvalidArtifactInputError("range.start", range.start, "a whole number of bytes, 0 or more.");
  if (range.end !== undefined && (!Number.isSafeInteger(range.end) || range.end < range.start))
    throw new InvalidArtifactInputError("range.end", range.end, "a whole number of bytes, at least range.start (the last byte, included).");
}

/** Checks a download URL's lifetime. */
export function checkExpiry(expiresInSeconds: number): void {
  if (!Number.isSafeInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_DOWNLOAD_URL_SECONDS)
    throw new InvalidArtifactInputError(
      "expiresInSeconds",
      expiresInSeconds,
      `a whole number of seconds from 1 to ${MAX_DOWNLOAD_URL_SECONDS}.`,
    );
}

/** A fresh id: 128 random bits as hex, then the extension. */
export function newArtifactId(extension: string): string {
  return `${randomBytes(16).toString("hex")}.${extension}`;
}

/**
 * The body's bytes as chunks, counted: throws ArtifactTooLargeError (and stops reading the body)
 * as soon as more than `maxBytes` have arrived, before that chunk is passed on. `onBytes` learns
 * the running total.
 */
export async function* boundedChunks(
  body: ArtifactBody,
  maxBytes: number | undefined,
  onBytes?: (total: number) => void,
): AsyncGenerator<Uint8Array> {
  if (body instanceof Uint8Array) {
    if (maxBytes !== undefined && body.byteLength > maxBytes) throw new ArtifactTooLargeError(maxBytes, body.byteLength);
    onBytes?.(body.byteLength);
    if (body.byteLength > 0) yield body;
    return;
  }
  let total = 0;
  try {
    for await (const chunk of body as AsyncIterable<unknown>) {
      const bytes = toBytes(chunk);
      total += bytes.byteLength;
      if (maxBytes !== undefined && total > maxBytes) throw new ArtifactTooLargeError(maxBytes, total);
      onBytes?.(total);
      if (bytes.byteLength > 0) yield bytes;
    }
  } finally {
    // Stopped early (a limit, a failed write): let the source release what it holds (a file, a socket).
    if (body instanceof Readable && !body.readableEnded) body.destroy();
  }
}

function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === "string") return Buffer.from(chunk);
  throw new InvalidArtifactInputError("body", typeof chunk, "a Uint8Array, or a stream or async iterable of Uint8Array chunks.");
}

/** Ends a body that will not be read (the put failed its checks), so its source is released. */
export function discardBody(body: ArtifactBody): void {
  if (body instanceof Readable) body.destroy();
}
