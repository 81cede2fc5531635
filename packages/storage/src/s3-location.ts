// Where the scale-out stores keep objects: an `s3://BUCKET[/PREFIX]?endpoint=URL&region=R&forcePathStyle=true`
// URL parsed once at start (the client built from it is in s3-client.ts, which loads the AWS SDK).
// Credentials come from the AWS SDK's own chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, instance roles), never
// from the URL, so the URL can be logged and passed to workers as it is.
import { BodError } from "@bod/contracts";

export interface S3Location {
  bucket: string;
  /** Key prefix without leading or trailing slash; "" for the bucket's root. */
  prefix: string;
  /** e.g. http://127.0.0.1:9000 for MinIO or another S3 server; undefined for AWS itself. */
  endpoint?: string;
  /** Default us-east-1. */
  region: string;
  /** Path-style addressing (`endpoint/bucket/key`), which most non-AWS servers need. */
  forcePathStyle: boolean;
}

/** A URL that is not a valid S3 location; the message says what is allowed. */
export class InvalidS3LocationError extends BodError<"invalid_s3_location", Record<string, never>> {
  constructor(message: string) {
    super(
      "invalid_s3_location",
      `${message} Expected s3://BUCKET[/PREFIX]?endpoint=URL&region=REGION&forcePathStyle=true (only bucket is required).`,
      {},
    );
    this.name = "InvalidS3LocationError";
  }
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const KNOWN_PARAMETERS = new Set(["endpoint", "region", "forcePathStyle"]);

/** Parses an `s3://` URL; throws InvalidS3LocationError naming what is wrong. */
export function parseS3Location(text: string): S3Location {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidS3LocationError(`"${text}" is not a URL.`);
  }
  if (url.protocol !== "s3:") throw new InvalidS3LocationError(`"${url.protocol}" is not s3:.`);
  if (url.username || url.password)
    throw new InvalidS3LocationError("Credentials do not belong in the URL; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.");
  const bucket = url.hostname;
  if (!BUCKET.test(bucket)) throw new InvalidS3LocationError(`"${bucket}" is not a bucket name (3..63 of a-z, 0-9, "." and "-").`);
  for (const key of url.searchParams.keys()) {
    if (!KNOWN_PARAMETERS.has(key)) throw new InvalidS3LocationError(`Unknown parameter "${key}".`);
  }
  const endpoint = url.searchParams.get("endpoint") ?? undefined;
  if (endpoint !== undefined) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(endpoint);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:"))
      throw new InvalidS3LocationError(`endpoint "${endpoint}" is not an http(s) URL.`);
  }
  const forcePathStyle = url.searchParams.get("forcePathStyle") ?? "false";
  if (forcePathStyle !== "true" && forcePathStyle !== "false")
    throw new InvalidS3LocationError(`forcePathStyle must be true or false, not "${forcePathStyle}".`);
  const prefix = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, "");
  return {
    bucket,
    prefix,
    ...(endpoint ? { endpoint } : {}),
    region: url.searchParams.get("region") || "us-east-1",
    forcePathStyle: forcePathStyle === "true",
  };
}

/** The URL form of a location (round-trips through parseS3Location). */
export function formatS3Location(location: S3Location): string {
  const parameters = new URLSearchParams();
  if (location.endpoint) parameters.set("endpoint", location.endpoint);
  parameters.set("region", location.region);
  if (location.forcePathStyle) parameters.set("forcePathStyle", "true");
  return `s3://${location.bucket}${location.prefix ? `/${location.prefix}` : ""}?${parameters}`;
}

/** The key of `path` under the location's prefix. */
export function s3Key(location: S3Location, path: string): string {
  return location.prefix ? `${location.prefix}/${path}` : path;
}
