// ArtifactStore over folders, the embedded default: a project's artifacts are files `<id>` in its
// own folder, each with its record `<id>.json` beside it. A put writes `.<id>.partial` and renames
// it into place before the record appears, so a reader never sees half an artifact; a put that
// fails or crashes leaves at most a dot-file or a file without a record, which nothing lists.
import { createWriteStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ArtifactSchema, isArtifactId, isProjectId } from "@bod/contracts";
import { assertProjectId, boundedChunks, checkExpiry, checkPutInput, checkRange, discardBody, newArtifactId } from "./artifact-input.ts";
import type { ArtifactContent, ArtifactRecord, ArtifactStore, PutArtifactInput } from "./artifact-store.ts";
import { ArtifactRangeNotSatisfiableError } from "./errors/artifact-range-not-satisfiable-error.ts";
import { ArtifactStoreError } from "./errors/artifact-store-error.ts";
import { ArtifactStoreUnavailableError } from "./errors/artifact-store-unavailable-error.ts";

export interface FilesystemArtifactStoreOptions {
  /**
   * The folder that holds a project's artifacts right now, created when missing. Asked at every
   * call: the local runtime moves a project's folder into its worker's sandbox and back, so the
   * runtime gives `<projectDirOf(id)>/artifacts`, and a worker its own data dir's `artifacts`.
   */
  directoryOf: (projectId: string) => string;
  /**
   * A link to the artifact that works without credentials until it expires (the gateway's signed
   * link). Without it `downloadUrl` gives undefined: whoever holds the store serves the bytes.
   */
  signedUrlFor?: (projectId: string, id: string, expiresInSeconds: number) => string;
  /** Clock for `createdAt`; injectable for tests. */
  now?: () => Date;
}

const RecordFileSchema = ArtifactSchema.omit({ url: true });

export function createFilesystemArtifactStore(options: FilesystemArtifactStoreOptions): ArtifactStore {
  const { directoryOf, signedUrlFor } = options;
  const now = options.now ?? (() => new Date());

  /**
   * Runs a lookup in the project's folder; if it finds nothing and the folder has moved meanwhile
   * (a worker started or stopped), once more where it is now.
   */
  async function inProjectFolder<T>(projectId: string, lookup: (directory: string) => Promise<T | undefined>): Promise<T | undefined> {
    const first = directoryOf(projectId);
    const found = await lookup(first);
    if (found !== undefined) return found;
    const second = directoryOf(projectId);
    return second === first ? undefined : lookup(second);
  }

  async function readRecord(projectId: string, directory: string, id: string, operation: string): Promise<ArtifactRecord | undefined> {
    let text: string;
    try {
      text = await readFile(join(directory, `${id}.json`), "utf8");
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw unavailable(operation, directory, error);
    }
    const parsed = safeJson(text);
    const record = RecordFileSchema.safeParse(parsed);
    // A record that does not parse (cut short by a crash, edited by hand) is no artifact.
    if (!record.success || record.data.id !== id) return undefined;
    return { ...record.data, projectId };
  }

  async function head(projectId: string, id: string): Promise<ArtifactRecord | undefined> {
    if (!isProjectId(projectId) || !isArtifactId(id)) return undefined;
    return inProjectFolder(projectId, (directory) => readRecord(projectId, directory, id, "head"));
  }

  return {
    async put(input: PutArtifactInput): Promise<ArtifactRecord> {
      try {
        checkPutInput(input);
      } catch (error) {
        discardBody(input.body);
        throw error;
      }
      const directory = directoryOf(input.projectId);
      const id = newArtifactId(input.extension);
      const partial = join(directory, `.${id}.partial`);
      const recordPartial = join(directory, `.${id}.json.partial`);
      let bytes = 0;
      try {
        await mkdir(directory, { recursive: true });
        const chunks = Readable.from(
          boundedChunks(input.body, input.maxBytes, (total) => {
            bytes = total;
          }),
        );
        await pipeline(chunks, createWriteStream(partial, { flags: "wx" }));
        await rename(partial, join(directory, id));
        const record: ArtifactRecord = {
          id,
          projectId: input.projectId,
          kind: input.kind,
          mimeType: input.mimeType,
          bytes,
          createdAt: now().toISOString(),
        };
        const { projectId: _, ...file } = record;
        await writeFile(recordPartial, JSON.stringify(file), { flag: "wx" });
        await rename(recordPartial, join(directory, `${id}.json`));
        return record;
      } catch (error) {
        discardBody(input.body);
        await Promise.all([partial, recordPartial, join(directory, id)].map((path) => rm(path, { force: true }).catch(() => {})));
        if (error instanceof ArtifactStoreError) throw error;
        throw unavailable("put", directory, error);
      }
    },

    head,

    async get(projectId, id, getOptions = {}): Promise<ArtifactContent | undefined> {
      const { range } = getOptions;
      if (range) checkRange(range);
      if (!isProjectId(projectId) || !isArtifactId(id)) return undefined;
      return inProjectFolder(projectId, async (directory) => {
        // Open first: the open file stays readable even if the folder moves while it is streamed.
        let handle: Awaited<ReturnType<typeof open>>;
        try {
          handle = await open(join(directory, id), "r");
        } catch (error) {
          if (isMissing(error)) return undefined;
          throw unavailable("get", directory, error);
        }
        try {
          const artifact = await readRecord(projectId, directory, id, "get");
          if (!artifact) {
            await handle.close();
            return undefined;
          }
          if (!range) return { artifact, body: handle.createReadStream() };
          if (range.start >= artifact.bytes) throw new ArtifactRangeNotSatisfiableError(artifact.bytes, range.start);
          const end = Math.min(range.end ?? artifact.bytes - 1, artifact.bytes - 1);
          return { artifact, body: handle.createReadStream({ start: range.start, end }), range: { start: range.start, end } };
        } catch (error) {
          await handle.close().catch(() => {});
          throw error;
        }
      });
    },

    async list(projectId) {
      assertProjectId(projectId);
      const directory = directoryOf(projectId);
      let names: string[];
      try {
        names = await readdir(directory);
      } catch (error) {
        if (isMissing(error)) return [];
        throw unavailable("list", directory, error);
      }
      const ids = names.filter((name) => name.endsWith(".json")).map((name) => name.slice(0, -".json".length));
      const records = await Promise.all(ids.filter(isArtifactId).map((id) => readRecord(projectId, directory, id, "list")));
      return records.filter((record) => record !== undefined).sort(newestFirst);
    },

    async deleteProject(projectId) {
      assertProjectId(projectId);
      const directory = directoryOf(projectId);
      try {
        await rm(directory, { recursive: true, force: true });
      } catch (error) {
        throw unavailable("deleteProject", directory, error);
      }
    },

    async downloadUrl(projectId, id, urlOptions) {
      checkExpiry(urlOptions.expiresInSeconds);
      if (!signedUrlFor) return undefined;
      const artifact = await head(projectId, id);
      return artifact ? signedUrlFor(projectId, id, urlOptions.expiresInSeconds) : undefined;
    },
  };
}

/** Newest first; ids break ties so the order is stable. */
export function newestFirst(a: ArtifactRecord, b: ArtifactRecord): number {
  return b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id);
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A disk that cannot do the operation (full, read-only, permissions): what happened and where. */
function unavailable(operation: string, directory: string, error: unknown): ArtifactStoreUnavailableError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === "ENOSPC" || code === "EDQUOT"
      ? "the disk is full; free some space"
      : code === "EACCES" || code === "EPERM" || code === "EROFS"
        ? "it may not be written or read by this process; check the data dir's permissions"
        : `${(error as Error)?.message ?? String(error)}`;
  return new ArtifactStoreUnavailableError(
    `The artifact folder ${directory} could not be used for ${operation}: ${why}.`,
    { operation, reason: "server_error", store: directory },
    { cause: error },
  );
}
