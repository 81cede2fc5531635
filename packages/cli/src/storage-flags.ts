// Where durable things live, as `bod serve`, `bod worker` and `bod user` are told: `--state-url`
// (users, projects, conversations, turn locks, rate limits, and the scene journal) and
// `--artifact-url` (renders, exports, uploads, and scene snapshots). Both default to the data
// dir (SQLite and files), which is the quick start; `postgres://` and `s3://` URLs point every
// process at the same shared stores. Parsed once at start, before any worker starts, so a typo
// fails at once with the flag or variable named. Credentials never ride in these URLs: the
// standard PGPASSWORD and AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables carry them.
import { InvalidS3LocationError, parseS3Location, type S3Location } from "@bod/storage";
import { z } from "zod";

/** What the flags and variables said, validated. */
export interface StorageUrls {
  /** `postgres://USER@HOST:PORT/DB`, or undefined for SQLite in the data dir. */
  stateUrl?: string;
  /** The parsed `s3://` location, or undefined for files in the data dir. */
  artifactLocation?: S3Location;
  /** The `s3://` URL as given. */
  artifactUrl?: string;
}

const PostgresUrlSchema = z.string().refine(
  (text) => {
    try {
      const url = new URL(text);
      return (url.protocol === "postgres:" || url.protocol === "postgresql:") && url.hostname !== "" && url.pathname.length > 1;
    } catch {
      return false;
    }
  },
  { message: "expected postgres://USER@HOST:PORT/DATABASE (the password from PGPASSWORD)" },
);

/**
 * Validates `--state-url` and `--artifact-url` (falling back to BOD_STATE_URL and
 * BOD_ARTIFACT_URL). Returns a message naming the flag or variable when one is wrong.
 */
export function parseStorageUrls(
  flags: { stateUrl?: string | undefined; artifactUrl?: string | undefined },
  env: Record<string, string | undefined>,
): { ok: true; urls: StorageUrls } | { ok: false; message: string } {
  const stateUrl = flags.stateUrl ?? (env.BOD_STATE_URL || undefined);
  const artifactUrl = flags.artifactUrl ?? (env.BOD_ARTIFACT_URL || undefined);
  const urls: StorageUrls = {};
  if (stateUrl !== undefined) {
    const parsed = PostgresUrlSchema.safeParse(stateUrl);
    const source = flags.stateUrl !== undefined ? "--state-url" : "BOD_STATE_URL";
    if (!parsed.success) return { ok: false, message: `${source}: ${parsed.error.issues[0]?.message}` };
    if (new URL(stateUrl).password)
      return { ok: false, message: `${source}: put the password in PGPASSWORD, not in the URL (URLs end up in logs and process lists)` };
    urls.stateUrl = stateUrl;
  }
  if (artifactUrl !== undefined) {
    const source = flags.artifactUrl !== undefined ? "--artifact-url" : "BOD_ARTIFACT_URL";
    try {
      urls.artifactLocation = parseS3Location(artifactUrl);
      urls.artifactUrl = artifactUrl;
    } catch (error) {
      if (error instanceof InvalidS3LocationError) return { ok: false, message: `${source}: ${error.message}` };
      throw error;
    }
  }
  return { ok: true, urls };
}

/** The environment that hands the same stores to a worker wherever it starts. */
export function storageEnvironment(urls: StorageUrls): Record<string, string> {
  return {
    ...(urls.stateUrl ? { BOD_STATE_URL: urls.stateUrl } : {}),
    ...(urls.artifactUrl ? { BOD_ARTIFACT_URL: urls.artifactUrl } : {}),
  };
}

/** Whether workers need the network (their stores are servers, not files). */
export function storageNeedsNetwork(urls: StorageUrls): boolean {
  return urls.stateUrl !== undefined || urls.artifactLocation !== undefined;
}

/** One line for the start-up log: where each kind of data lives. */
export function describeStorage(urls: StorageUrls, dataDir: string) {
  const safeState = urls.stateUrl ? redactUser(urls.stateUrl) : `sqlite:${dataDir}/bod.sqlite`;
  return {
    state: safeState,
    artifacts: urls.artifactUrl ?? `${dataDir}/projects/*/artifacts`,
    scenes:
      urls.stateUrl && urls.artifactUrl
        ? "journal in PostgreSQL, snapshots in S3"
        : `${dataDir}/projects/*/scene (journal and snapshots need both --state-url and --artifact-url to be shared)`,
  };
}

function redactUser(text: string): string {
  const url = new URL(text);
  url.password = "";
  return url.toString();
}
