// The object half of the scale-out scene store: a project's snapshot and kept files in S3, under
// `<prefix>/projects/<projectId>/scene/` (`snapshot.blend`, `imports/<name>`). An object is
// replaced whole (PutObject, or a multipart upload that completes) so a reader gets the old
// snapshot or the new one; a download goes to a file beside its target and is renamed in.
// A request that makes no progress for `timeoutMs` fails, and is tried once more.
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { createS3Client } from "./s3-client.ts";
import { parseS3Location, type S3Location, s3Key } from "./s3-location.ts";
import { checkProjectId, checkSceneFileName } from "./scene-store.ts";
import { SceneStoreUnavailableError } from "./scene-store-unavailable-error.ts";

export interface S3SceneObjectsOptions {
  /** An `s3://BUCKET[/PREFIX]?endpoint=...` URL or a parsed location. */
  s3: string | S3Location;
  /** A request that makes no progress for this long fails (then one retry), in milliseconds. Default 5 000. */
  timeoutMs?: number;
}

/** A project's objects. */
export interface S3ProjectObjects {
  readSnapshot(localPath: string): Promise<boolean>;
  writeSnapshot(localPath: string): Promise<void>;
  putFile(name: string, localPath: string): Promise<void>;
  getFile(name: string, localPath: string): Promise<boolean>;
  deleteFiles(): Promise<void>;
}

export interface S3SceneObjects {
  project(projectId: string): S3ProjectObjects;
  deleteProject(projectId: string): Promise<void>;
  close(): void;
}

/** Parts of a multipart upload, in bytes: S3's minimum is 5 MiB; a snapshot under one part goes in one PutObject. */
const PART_BYTES = 8 * 1024 * 1024;

export function createS3SceneObjects(options: S3SceneObjectsOptions): S3SceneObjects {
  const location = typeof options.s3 === "string" ? parseS3Location(options.s3) : options.s3;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const client: S3Client = createS3Client(location, { requestTimeoutMs: timeoutMs, maxAttempts: 2 });
  const bucket = location.bucket;
  const where = `S3 bucket ${bucket}${location.endpoint ? ` at ${location.endpoint}` : ""}`;
  const sceneKey = (projectId: string, path: string) => s3Key(location, `projects/${projectId}/scene/${path}`);

  function unavailable(operation: string, error: unknown): Error {
    // A local file that could not be read or written is not the store's failure.
    if (isLocalFileError(error)) return error as Error;
    const { name, message } = error as Error;
    const detail = /timeout/i.test(`${name} ${message}`) ? `no answer within ${timeoutMs} ms` : `${name}: ${message}`;
    return new SceneStoreUnavailableError("s3", operation, `${where}: ${detail}.`, { cause: error });
  }

  async function upload(operation: string, key: string, localPath: string): Promise<void> {
    const file = await open(localPath, "r");
    try {
      const { size } = await file.stat();
      await new Upload({
        client,
        params: { Bucket: bucket, Key: key, Body: file.createReadStream({ autoClose: false }), ContentLength: size },
        partSize: PART_BYTES,
        queueSize: 4,
        leavePartsOnError: false,
      }).done();
    } catch (error) {
      throw unavailable(operation, error);
    } finally {
      await file.close();
    }
  }

  async function download(operation: string, key: string, localPath: string): Promise<boolean> {
    let body: Readable;
    try {
      const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      body = response.Body as Readable;
    } catch (error) {
      if (isMissing(error)) return false;
      throw unavailable(operation, error);
    }
    await mkdir(dirname(localPath), { recursive: true });
    const temporary = `${localPath}.tmp-${randomUUID()}`;
    try {
      await pipeline(body, createWriteStream(temporary));
      await rename(temporary, localPath);
      return true;
    } catch (error) {
      await rm(temporary, { force: true });
      throw unavailable(operation, error);
    }
  }

  async function deleteUnder(operation: string, prefix: string): Promise<void> {
    try {
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
        if (keys.length) await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw unavailable(operation, error);
    }
  }

  return {
    project(projectId) {
      checkProjectId(projectId);
      const fileKey = (name: string) => sceneKey(projectId, `imports/${checkSceneFileName(name)}`);
      return {
        readSnapshot: (localPath) => download("read the snapshot", sceneKey(projectId, "snapshot.blend"), localPath),
        writeSnapshot: (localPath) => upload("write the snapshot", sceneKey(projectId, "snapshot.blend"), localPath),
        putFile: async (name, localPath) => upload(`keep the file ${name}`, fileKey(name), localPath),
        getFile: async (name, localPath) => download(`read the file ${name}`, fileKey(name), localPath),
        deleteFiles: () => deleteUnder("delete the kept files", sceneKey(projectId, "imports/")),
      };
    },
    async deleteProject(projectId) {
      checkProjectId(projectId);
      await deleteUnder("delete a project's snapshot and files", sceneKey(projectId, ""));
    },
    close() {
      client.destroy();
    },
  };
}

function isMissing(error: unknown): boolean {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  // A missing bucket is a store that is not there, not a project without a snapshot.
  return name === "NoSuchKey" || ($metadata?.httpStatusCode === 404 && name !== "NoSuchBucket");
}

/** Node's errors for a local file carry its path; a network error does not. */
function isLocalFileError(error: unknown): boolean {
  const { path, syscall } = error as { path?: unknown; syscall?: unknown };
  return typeof path === "string" && typeof syscall === "string";
}
