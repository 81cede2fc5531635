// A fresh, empty bucket per call on the run's S3 server, so that tests never see each other's objects.
import { randomBytes } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from "@aws-sdk/client-s3";
import { formatS3Location, type S3Location } from "@bod/storage";
import { createS3Client } from "@bod/storage/scale-out";
import { requireTestVariable, S3_ENDPOINT_VARIABLE } from "./test-environment.ts";

export interface TestBucket {
  /** `s3://NAME?endpoint=http://127.0.0.1:PORT&region=us-east-1&forcePathStyle=true`, as parseS3Location reads it. */
  url: string;
  location: S3Location;
  /** Deletes every object and unfinished multipart upload in it, then the bucket. Safe to call twice. */
  drop(): Promise<void>;
}

export interface TestBucketOptions {
  /** The S3 server; default BOD_TEST_S3_ENDPOINT, which the e2e global setup sets. */
  endpoint?: string;
  /** Default us-east-1. */
  region?: string;
}

/**
 * A fresh, empty bucket on the run's S3 server. Requests are signed with AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY, which the global setup sets to the server's keys.
 */
export async function createTestBucket(options: TestBucketOptions = {}): Promise<TestBucket> {
  const location: S3Location = {
    bucket: `bod-test-${randomBytes(6).toString("hex")}`,
    prefix: "",
    endpoint: options.endpoint ?? requireTestVariable(S3_ENDPOINT_VARIABLE),
    region: options.region ?? process.env.AWS_REGION ?? "us-east-1",
    forcePathStyle: true,
  };
  const client = createS3Client(location, { requestTimeoutMs: 30_000 });
  try {
    await client.send(new CreateBucketCommand({ Bucket: location.bucket }));
  } finally {
    client.destroy();
  }
  let dropped: Promise<void> | undefined;
  return {
    url: formatS3Location(location),
    location,
    drop() {
      dropped ??= removeBucket(location);
      return dropped;
    },
  };
}

async function removeBucket(location: S3Location): Promise<void> {
  const client = createS3Client(location, { requestTimeoutMs: 30_000 });
  try {
    await abortUploads(client, location.bucket);
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: location.bucket, ContinuationToken: token }));
      const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
      if (keys.length) await client.send(new DeleteObjectsCommand({ Bucket: location.bucket, Delete: { Objects: keys, Quiet: true } }));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    await client.send(new DeleteBucketCommand({ Bucket: location.bucket }));
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchBucket") return;
    throw error;
  } finally {
    client.destroy();
  }
}

async function abortUploads(client: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    const uploads = page.Uploads ?? [];
    for (const upload of uploads) {
      if (upload.Key && upload.UploadId)
        await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }));
    }
    if (!page.IsTruncated || !uploads.length) return;
  }
}
