// ArtifactStore over an S3 bucket (AWS S3, MinIO, R2, GCS's S3 API, versitygw), the scale-out
// implementation: any gateway replica and any worker pod reaches the same artifacts. An artifact
// is one object `<prefix>/projects/<projectId>/artifacts/<id>` whose metadata is its record
// (Content-Type, x-amz-meta-kind, x-amz-meta-created-at). Objects are created only if absent
// (If-None-Match: *), so an id is never overwritten; streams go up as multipart uploads that are
// aborted on any failure, the size limit included, so no half object is ever visible.
import { Readable } from "node:stream";
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { ARTIFACT_KINDS, type ArtifactKind, isArtifactId, isProjectId } from "@bod/contracts";
import { assertProjectId, boundedChunks, checkExpiry, checkPutInput, checkRange, discardBody, newArtifactId } from "./artifact-input.ts";
import type { ArtifactContent, ArtifactRecord, ArtifactStore, ByteRange, PutArtifactInput } from "./artifact-store.ts";
import { contentDispositionFor } from "./content-disposition.ts";
import { ArtifactRangeNotSatisfiableError } from "./errors/artifact-range-not-satisfiable-error.ts";
import { ArtifactStoreError } from "./errors/artifact-store-error.ts";
import { ArtifactStoreUnavailableError, type ArtifactStoreUnavailableReason } from "./errors/artifact-store-unavailable-error.ts";
import { newestFirst } from "./filesystem-artifact-store.ts";
import { createS3Client } from "./s3-client.ts";
import { formatS3Location, type S3Location, s3Key } from "./s3-location.ts";

export interface S3ArtifactStoreOptions {
  location: S3Location;
  /** The client to use (shared with other stores of the same location). Default: createS3Client(location). */
  client?: S3Client;
  /**
   * Every call that does not stream a body (head, list, deleteProject, downloadUrl, a put of
   * bytes, and a get until its body starts) fails with ArtifactStoreUnavailableError after this
   * long, milliseconds, retries included. Default 15 000. Streamed puts and bodies are bounded per
   * request instead, by the client's requestTimeoutMs of silence.
   */
  deadlineMs?: number;
  /** Part size of multipart uploads, bytes, at least 5 MiB (S3's minimum). Default 8 MiB. */
  partSizeBytes?: number;
  /** Parts uploaded at once per put. Default 4. */
  queueSize?: number;
  /** Clock for `createdAt`; injectable for tests. */
  now?: () => Date;
}

const MIN_PART_SIZE = 5 * 1024 * 1024;
// lib-storage and the presigner are loaded on first use: every process that imports this package
// (a worker racing Blender's boot among them) would otherwise pay for them at start.
const LIST_HEADS_AT_ONCE = 8;

const VERBS: Record<string, string> = {
  put: "storing an artifact",
  head: "looking up an artifact",
  get: "reading an artifact",
  list: "listing artifacts",
  deleteProject: "deleting a project's artifacts",
  downloadUrl: "making a download link",
};

export function createS3ArtifactStore(options: S3ArtifactStoreOptions): ArtifactStore {
  const { location } = options;
  const client = options.client ?? createS3Client(location);
  const deadlineMs = options.deadlineMs ?? 15_000;
  const partSize = options.partSizeBytes ?? 8 * 1024 * 1024;
  if (partSize < MIN_PART_SIZE) throw new RangeError(`partSizeBytes must be at least ${MIN_PART_SIZE} (5 MiB), S3's smallest part.`);
  const now = options.now ?? (() => new Date());
  const Bucket = location.bucket;
  const shownStore = `${formatS3Location(location).split("?")[0]}${location.endpoint ? ` at ${location.endpoint}` : ""}`;

  const projectPrefix = (projectId: string) => `${s3Key(location, `projects/${projectId}/artifacts`)}/`;
  const keyOf = (projectId: string, id: string) => `${projectPrefix(projectId)}${id}`;

  /** Runs one S3 call under the deadline; failures become the store's errors. */
  async function call<T>(operation: string, run: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`deadline of ${deadlineMs} ms passed`)), deadlineMs);
    try {
      return await run(controller.signal);
    } catch (error) {
      throw storeError(operation, error, controller.signal.aborted);
    } finally {
      clearTimeout(timer);
    }
  }

  function storeError(operation: string, error: unknown, deadlinePassed = false): Error {
    if (error instanceof ArtifactStoreError) return error;
    const failure = classify(error, deadlinePassed, deadlineMs);
    const retry = failure.retryAfterSeconds === undefined ? "" : " Try again in a few seconds;";
    return new ArtifactStoreUnavailableError(
      `The artifact store (${shownStore}) ${failure.what} while ${VERBS[operation] ?? operation}.${retry} ${failure.advice}`,
      {
        operation,
        reason: failure.reason,
        store: shownStore,
        ...(failure.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: failure.retryAfterSeconds }),
      },
      { cause: error },
    );
  }

  function recordOf(
    projectId: string,
    id: string,
    output: HeadObjectCommandOutput | GetObjectCommandOutput,
    bytes: number,
  ): ArtifactRecord | undefined {
    const kind = output.Metadata?.kind;
    if (!kind || !(ARTIFACT_KINDS as readonly string[]).includes(kind)) return undefined;
    const createdAt = output.Metadata?.["created-at"] ?? output.LastModified?.toISOString() ?? new Date(0).toISOString();
    return { id, projectId, kind: kind as ArtifactKind, mimeType: output.ContentType ?? "application/octet-stream", bytes, createdAt };
  }

  async function head(projectId: string, id: string): Promise<ArtifactRecord | undefined> {
    if (!isProjectId(projectId) || !isArtifactId(id)) return undefined;
    try {
      const output = await call("head", (abortSignal) =>
        client.send(new HeadObjectCommand({ Bucket, Key: keyOf(projectId, id) }), { abortSignal }),
      );
      return recordOf(projectId, id, output, output.ContentLength ?? 0);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async function putBytes(input: PutArtifactInput, key: string, bytes: Uint8Array, metadata: Record<string, string>) {
    await call("put", (abortSignal) =>
      client.send(
        new PutObjectCommand({
          Bucket,
          Key: key,
          Body: bytes,
          ContentLength: bytes.byteLength,
          ContentType: input.mimeType,
          Metadata: metadata,
          IfNoneMatch: "*",
        }),
        { abortSignal },
      ),
    );
  }

  async function putStream(input: PutArtifactInput, key: string, metadata: Record<string, string>): Promise<number> {
    let bytes = 0;
    let tooLarge: ArtifactStoreError | undefined;
    const chunks = (async function* () {
      try {
        yield* boundedChunks(input.body, input.maxBytes, (total) => {
          bytes = total;
        });
      } catch (error) {
        if (error instanceof ArtifactStoreError) tooLarge = error;
        throw error;
      }
    })();
    const { Upload } = await import("@aws-sdk/lib-storage");
    const upload = new Upload({
      client,
      params: { Bucket, Key: key, Body: Readable.from(chunks), ContentType: input.mimeType, Metadata: metadata, IfNoneMatch: "*" },
      partSize,
      queueSize: options.queueSize ?? 4,
      // On any failure Upload aborts the multipart upload, so its parts are not left behind.
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      // The limit (or a body of the wrong type) stopped the upload: that is the caller's error,
      // whether or not the abort of the parts went through.
      if (tooLarge) throw tooLarge;
      throw storeError("put", error);
    }
    return bytes;
  }

  return {
    async put(input) {
      try {
        checkPutInput(input);
      } catch (error) {
        discardBody(input.body);
        throw error;
      }
      const id = newArtifactId(input.extension);
      const key = keyOf(input.projectId, id);
      const createdAt = now().toISOString();
      const metadata = { kind: input.kind, "created-at": createdAt };
      let bytes: number;
      if (input.body instanceof Uint8Array) {
        // Checked before anything is sent: a body over the limit never reaches S3.
        for await (const _ of boundedChunks(input.body, input.maxBytes));
        await putBytes(input, key, input.body, metadata);
        bytes = input.body.byteLength;
      } else {
        bytes = await putStream(input, key, metadata);
      }
      return { id, projectId: input.projectId, kind: input.kind, mimeType: input.mimeType, bytes, createdAt };
    },

    head,

    async get(projectId, id, getOptions = {}): Promise<ArtifactContent | undefined> {
      const { range } = getOptions;
      if (range) checkRange(range);
      if (!isProjectId(projectId) || !isArtifactId(id)) return undefined;
      let output: GetObjectCommandOutput;
      try {
        output = await call("get", (abortSignal) =>
          client.send(new GetObjectCommand({ Bucket, Key: keyOf(projectId, id), ...(range ? { Range: rangeHeader(range) } : {}) }), {
            abortSignal,
          }),
        );
      } catch (error) {
        if (isNotFound(error)) return undefined;
        if (range && isInvalidRange(error)) {
          const artifact = await head(projectId, id);
          if (!artifact) return undefined;
          throw new ArtifactRangeNotSatisfiableError(artifact.bytes, range.start);
        }
        throw error;
      }
      const body = output.Body as Readable | undefined;
      const served = parseContentRange(output.ContentRange);
      const total = served?.total ?? output.ContentLength ?? 0;
      const artifact = recordOf(projectId, id, output, total);
      if (!artifact || !body) {
        body?.destroy();
        return undefined;
      }
      if (!range) return { artifact, body };
      if (served) return { artifact, body, range: { start: served.start, end: served.end } };
      // A server that answers a range with the whole object: fine when the whole is what was asked.
      if (range.start === 0 && (range.end === undefined || range.end >= total - 1) && total > 0)
        return { artifact, body, range: { start: 0, end: total - 1 } };
      body.destroy();
      throw storeError("get", new Error("The S3 server ignored the Range header."));
    },

    async list(projectId) {
      assertProjectId(projectId);
      const prefix = projectPrefix(projectId);
      const ids: string[] = [];
      let token: string | undefined;
      do {
        const page = await call("list", (abortSignal) =>
          client.send(new ListObjectsV2Command({ Bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }), {
            abortSignal,
          }),
        );
        for (const object of page.Contents ?? []) {
          const id = object.Key?.slice(prefix.length);
          if (isArtifactId(id)) ids.push(id);
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      // Listing gives no metadata: each record comes from its object's HEAD, a few at a time.
      const records: ArtifactRecord[] = [];
      for (let at = 0; at < ids.length; at += LIST_HEADS_AT_ONCE) {
        const batch = await Promise.all(ids.slice(at, at + LIST_HEADS_AT_ONCE).map((id) => head(projectId, id)));
        for (const record of batch) if (record) records.push(record);
      }
      return records.sort(newestFirst);
    },

    async deleteProject(projectId) {
      assertProjectId(projectId);
      const prefix = projectPrefix(projectId);
      let token: string | undefined;
      do {
        const page = await call("deleteProject", (abortSignal) =>
          client.send(new ListObjectsV2Command({ Bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }), {
            abortSignal,
          }),
        );
        const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
        if (keys.length > 0) {
          const deleted = await call("deleteProject", (abortSignal) =>
            client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys, Quiet: true } }), { abortSignal }),
          );
          const failed = deleted.Errors?.[0];
          if (failed)
            throw storeError("deleteProject", Object.assign(new Error(failed.Message ?? "DeleteObjects failed"), { name: failed.Code }));
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },

    async downloadUrl(projectId, id, urlOptions) {
      checkExpiry(urlOptions.expiresInSeconds);
      const artifact = await head(projectId, id);
      if (!artifact) return undefined;
      const { getSignedUrl } = await import("@aws-sdk/s3-request-presigner");
      return call("downloadUrl", () =>
        getSignedUrl(
          client,
          new GetObjectCommand({ Bucket, Key: keyOf(projectId, id), ResponseContentDisposition: contentDispositionFor(artifact) }),
          { expiresIn: urlOptions.expiresInSeconds },
        ),
      );
    },
  };
}

function rangeHeader(range: ByteRange): string {
  return `bytes=${range.start}-${range.end ?? ""}`;
}

/** `bytes 0-9/100` → its numbers. */
function parseContentRange(header: string | undefined): { start: number; end: number; total: number } | undefined {
  const match = header ? /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header.trim()) : null;
  if (!match) return undefined;
  return { start: Number(match[1]), end: Number(match[2]), total: Number(match[3]) };
}

type S3Failure = { name?: string; code?: string; errors?: Array<{ code?: string }>; $metadata?: { httpStatusCode?: number } };

function statusOf(error: unknown): number | undefined {
  return (error as S3Failure | undefined)?.$metadata?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  const cause = error instanceof ArtifactStoreUnavailableError ? error.cause : error;
  // By name only: some servers answer other failures with 404 too (versitygw's unknown access key).
  const name = (cause as S3Failure | undefined)?.name;
  return name === "NotFound" || name === "NoSuchKey";
}

function isInvalidRange(error: unknown): boolean {
  const cause = error instanceof ArtifactStoreUnavailableError ? error.cause : error;
  return (cause as S3Failure | undefined)?.name === "InvalidRange" || statusOf(cause) === 416;
}

const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "ECONNABORTED",
]);
const DENIED = new Set([
  "AccessDenied",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "CredentialsProviderError",
  "ExpiredToken",
  "InvalidToken",
  // versitygw's name for an unknown access key.
  "XAdminUserNotFound",
]);

/** What went wrong, in words a user or operator can act on. */
function classify(
  error: unknown,
  deadlinePassed: boolean,
  deadlineMs: number,
): { reason: ArtifactStoreUnavailableReason; what: string; advice: string; retryAfterSeconds?: number } {
  const failure = (error ?? {}) as S3Failure;
  const code = failure.code ?? failure.errors?.find((inner) => inner.code)?.code;
  const status = statusOf(error);
  if (deadlinePassed)
    return {
      reason: "timeout",
      what: `did not answer within ${deadlineMs} ms`,
      advice: "If it persists, check the S3 server's health and load.",
      retryAfterSeconds: 5,
    };
  if (failure.name === "TimeoutError" || code === "ETIMEDOUT" || failure.name === "RequestTimeout")
    return {
      reason: "timeout",
      what: "did not answer in time",
      advice: "If it persists, check the S3 server's health and load.",
      retryAfterSeconds: 5,
    };
  if (code && UNREACHABLE.has(code))
    return {
      reason: "unreachable",
      what: `could not be reached (${code})`,
      advice: "If it persists, check that the S3 endpoint is up and reachable.",
      retryAfterSeconds: 5,
    };
  if (failure.name === "NoSuchBucket")
    return { reason: "missing_bucket", what: "has no such bucket", advice: "Create the bucket or fix the s3:// URL." };
  if (status === 403 || (failure.name && DENIED.has(failure.name)))
    return {
      reason: "denied",
      what: `refused the credentials (${failure.name ?? status})`,
      advice: "Check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the role) and the bucket's policy.",
    };
  const detail = failure.name && failure.name !== "Error" ? failure.name : ((error as Error | undefined)?.message ?? String(error));
  return {
    reason: "server_error",
    what: `failed (${status ? `HTTP ${status}, ` : ""}${detail})`,
    advice: "If it persists, check the S3 server's log.",
    retryAfterSeconds: 5,
  };
}

/**
 * The origin (scheme, host, port) of the presigned URLs a store at `location` hands out, e.g.
 * `https://bucket.s3.eu-west-1.amazonaws.com` or `http://127.0.0.1:9000`: what a web page's
 * Content-Security-Policy must allow for browsers to load artifacts from there. Signs a URL
 * locally (no request), so the client's credentials must be available.
 */
export async function s3DownloadOrigin(location: S3Location, client: S3Client = createS3Client(location)): Promise<string> {
  const { getSignedUrl } = await import("@aws-sdk/s3-request-presigner");
  const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: location.bucket, Key: s3Key(location, "probe") }), {
    expiresIn: 60,
  });
  return new URL(url).origin;
}
