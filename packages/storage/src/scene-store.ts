// The SceneStore port: where a project's scene lives between workers. It keeps the latest snapshot
// (a .blend file), the journal of acknowledged changes since that snapshot, and the files a
// journaled import needs on replay. The worker's scene engine is its one consumer: it writes a
// change's journal line before acknowledging the change, and restores a scene as snapshot plus
// journal wherever it runs. The embedded implementation is files under the project's folder; the
// scale-out one keeps the journal in PostgreSQL and the snapshot and files in S3.
//
// Compaction order: write the snapshot, then truncate the journal up to the sequence number the
// snapshot holds. A crash between the two leaves lines the snapshot already holds; the engine skips
// lines at or below the snapshot's number on replay, so nothing is lost and nothing runs twice.
import { isProjectId } from "@bod/contracts";

/**
 * One journal line: a JSON object carrying the sequence number of the change it is about. The
 * store keeps lines as given, in the order appended; what a line means (an entry, a same-number
 * replacement, a void marker) is the engine's business.
 */
export interface JournalLine {
  /** 1, 2, 3, ... per project; several lines may share one. */
  readonly seq: number;
  readonly [key: string]: unknown;
}

/** A project's scene in a store. Calls on one ProjectScene may overlap; appends land in call order. */
export interface ProjectScene {
  readonly projectId: string;
  /**
   * True once another worker has opened the same project's scene since this handle was opened: the
   * newest opener owns a scene. A superseded handle's writes fail with SceneSupersededError; its
   * owner opens the scene again (taking it back, with the other's changes) before the next call.
   * Stores that serve one worker at a time (files in a folder only one worker can reach) never
   * set it.
   */
  readonly superseded: boolean;
  /** Appends a line; durable once it resolves (on disk, or committed), so the change may be acknowledged. */
  appendJournal(line: JournalLine): Promise<void>;
  /** Every line kept, in the order appended. */
  readJournal(): Promise<JournalLine[]>;
  /** Deletes every line whose seq is <= `uptoSeq` (a snapshot now holds them). */
  truncateJournal(uptoSeq: number): Promise<void>;
  /**
   * Writes the latest snapshot to `localPath` (replacing what is there) for Blender to load; false
   * when the project has none, and then `localPath` is left alone.
   */
  readSnapshot(localPath: string): Promise<boolean>;
  /**
   * Stores the file at `localPath` as the latest snapshot, atomically: a reader sees the old
   * snapshot or the new one, never a torn one. `localPath` is left as it is.
   */
  writeSnapshot(localPath: string): Promise<void>;
  /**
   * Keeps a file a journaled change needs on replay (an import's source) under `name`: a relative
   * path of "/"-separated segments (see checkSceneFileName). Durable once it resolves.
   */
  putFile(name: string, localPath: string): Promise<void>;
  /** Writes the file kept under `name` to `localPath`; false when there is none. */
  getFile(name: string, localPath: string): Promise<boolean>;
  /** Deletes every kept file (once a snapshot holds what they were imported for). */
  deleteFiles(): Promise<void>;
  /** Lets go of what this handle holds (an open journal file); the scene stays in the store. */
  close(): Promise<void>;
}

export interface OpenSceneOptions {
  /**
   * Called once if the project is deleted by another process while this handle is open (a shared
   * store only: the files store's projects are deleted by the runtime that drained their worker).
   */
  onDeleted?: () => void;
}

export interface SceneStore {
  /**
   * Whether workers on different machines or processes share this store's scenes, so that the
   * newest open supersedes the older handles (see ProjectScene.superseded). False for the files
   * store, whose folder the local runtime hands to one worker at a time.
   */
  readonly shared: boolean;
  /** A project's scene; created empty (no journal, no snapshot) on first use. */
  open(projectId: string, options?: OpenSceneOptions): Promise<ProjectScene>;
  /** Removes everything the store keeps for the project. Idempotent: call again after a failure. */
  deleteProject(projectId: string): Promise<void>;
  /** Lets go of connections and handles; ProjectScenes opened from it stop working. */
  close(): Promise<void>;
}

/** Throws a TypeError unless `projectId` is a project id (the contracts' PROJECT_ID_PATTERN). */
export function checkProjectId(projectId: unknown): string {
  if (!isProjectId(projectId))
    throw new TypeError(
      `${JSON.stringify(String(projectId).slice(0, 80))} is not a project id: use 1 to 63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit.`,
    );
  return projectId;
}

/** Throws a TypeError unless `seq` is a sequence number (an integer from 0 to 2^53 - 1). */
export function checkSeq(seq: unknown, what = "seq"): number {
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0)
    throw new TypeError(`${what} must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}, not ${String(seq)}.`);
  return seq;
}

/** Throws a TypeError unless `line` is a JSON object with a positive seq; returns its JSON text. */
export function journalLineText(line: unknown): string {
  if (typeof line !== "object" || line === null || Array.isArray(line)) throw new TypeError("A journal line must be a JSON object.");
  const seq = (line as { seq?: unknown }).seq;
  if (checkSeq(seq, "A journal line's seq") === 0) throw new TypeError("A journal line's seq must be 1 or more.");
  let text: string;
  try {
    text = JSON.stringify(line);
  } catch (error) {
    throw new TypeError(`A journal line must be JSON: ${(error as Error).message}`);
  }
  return text;
}

/** Whether a parsed value is a journal line (what readJournal hands back). */
export function isJournalLine(value: unknown): value is JournalLine {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const seq = (value as { seq?: unknown }).seq;
  return typeof seq === "number" && Number.isSafeInteger(seq) && seq > 0;
}

const MAX_FILE_NAME_BYTES = 1024;
const MAX_SEGMENT_BYTES = 255;

/**
 * Throws a TypeError unless `name` is a kept file's name: "/"-separated segments, each 1 to 255
 * bytes of UTF-8 without control characters and not "." or "..", at most 1024 bytes in all. So a
 * name stays inside the project's folder or key prefix, and an OBJ keeps the name its mtllib
 * line gives its materials file.
 */
export function checkSceneFileName(name: unknown): string {
  const allowed =
    'a relative path of "/"-separated segments, each 1 to 255 bytes without control characters and not "." or "..", 1024 bytes at most';
  if (typeof name !== "string" || Buffer.byteLength(name) > MAX_FILE_NAME_BYTES)
    throw new TypeError(`A scene file name must be ${allowed}.`);
  for (const segment of name.split("/")) {
    if (!segment || segment === "." || segment === ".." || Buffer.byteLength(segment) > MAX_SEGMENT_BYTES || hasControlCharacter(segment))
      throw new TypeError(`${JSON.stringify(name.slice(0, 80))} is not a scene file name: use ${allowed}.`);
  }
  return name;
}

function hasControlCharacter(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
