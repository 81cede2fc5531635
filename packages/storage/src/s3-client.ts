// The S3 client the scale-out stores share for one location. Apart from s3-location.ts so that
// parsing an s3:// URL does not load the AWS SDK (a worker pays for every module before it is ready).
import { S3Client } from "@aws-sdk/client-s3";
import type { S3Location } from "./s3-location.ts";

export interface S3ClientOptions {
  /**
   * Gives up on a request after this long, in milliseconds, so a stalled server fails calls with
   * a clear error instead of hanging them: the time until the answer starts, and any silence
   * while a body streams. Default 30 000.
   */
  requestTimeoutMs?: number;
  /** Attempts per request, first included (the SDK's retry strategy). Default 3. */
  maxAttempts?: number;
}

/** The S3 client for a location. */
export function createS3Client(location: S3Location, options: S3ClientOptions = {}): S3Client {
  return new S3Client({
    region: location.region,
    forcePathStyle: location.forcePathStyle,
    ...(location.endpoint ? { endpoint: location.endpoint } : {}),
    maxAttempts: options.maxAttempts ?? 3,
    // Without throwOnRequestTimeout the SDK only logs a warning when requestTimeout passes and
    // keeps waiting; socketTimeout bounds silence after the answer has started (a streamed body).
    requestHandler: {
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      throwOnRequestTimeout: true,
      socketTimeout: options.requestTimeoutMs ?? 30_000,
      connectionTimeout: 5_000,
    },
  });
}
