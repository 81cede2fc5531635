// The journal of scene changes since the last snapshot: one JSON line per acknowledged mutating
// call, with the arguments as resolved by Blender (the name it chose for a new object), so that
// replaying the journal on top of the snapshot rebuilds the scene exactly. Each entry is on disk
// before its call is acknowledged. Entries carry increasing sequence numbers; a snapshot records
// the last one it contains, so entries it already holds are skipped on replay.
import { constants } from "node:fs";
import { type FileHandle, mkdir, open, readFile, rename } from "node:fs/promises";
import { dirname } from "node:path";
import type { BridgeCommand } from "./bridge-protocol.ts";

export interface JournalEntry {
  /** 1, 2, 3, ... across the life of the project; never reused after a snapshot. */
  seq: number;
  command: BridgeCommand;
  args: Record<string, unknown>;
  /** ISO 8601 time the change was acknowledged. */
  at: string;
}

export interface SceneJournal {
  /** Entries not yet folded into a snapshot, oldest first. */
  readonly entries: readonly JournalEntry[];
  /** The highest sequence number written so far (0 when none). */
  readonly lastSeq: number;
  /** Reads the journal file, if any; a torn last line (a crash mid-write) is dropped. */
  load(): Promise<void>;
  /** Appends an entry and waits until it is on disk. */
  append(command: BridgeCommand, args: Record<string, unknown>): Promise<JournalEntry>;
  /** Forgets entries up to `seq` (now held by a snapshot), rewriting the file atomically. */
  truncate(seq: number): Promise<void>;
  /** Raises the sequence counter to at least `seq` (the snapshot's), so numbers keep growing. */
  advanceTo(seq: number): void;
  close(): Promise<void>;
}

export interface SceneJournalOptions {
  /** The journal file; without one the journal lives in memory only (an unbound pool worker). */
  path?: string;
  /** Told about lines that could not be read. */
  onCorruptLine?: (lineNumber: number, line: string) => void;
}

/** Parses journal text; malformed lines are reported and skipped. */
export function parseJournal(text: string, onCorruptLine?: (lineNumber: number, line: string) => void): JournalEntry[] {
  const entries: JournalEntry[] = [];
  const lines = text.split("\n");
  lines.forEach((line, index) => {
    if (!line.trim()) return;
    try {
      const entry = JSON.parse(line) as JournalEntry;
      if (typeof entry.seq !== "number" || typeof entry.command !== "string" || typeof entry.args !== "object" || entry.args === null) {
        throw new Error("not a journal entry");
      }
      entries.push(entry);
    } catch {
      onCorruptLine?.(index + 1, line);
    }
  });
  return entries;
}

/** Creates a journal; call `load()` before use when it has a file. */
export function createSceneJournal(options: SceneJournalOptions = {}): SceneJournal {
  const path = options.path;
  let entries: JournalEntry[] = [];
  let lastSeq = 0;
  let handle: FileHandle | undefined;

  async function writable(): Promise<FileHandle | undefined> {
    if (!path) return undefined;
    if (!handle) {
      await mkdir(dirname(path), { recursive: true });
      // O_DSYNC: a write returns once its data is on disk, as write plus fdatasync would, in one
      // trip to the thread pool instead of two (an append is on every mutating call's path).
      handle = await open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC);
    }
    return handle;
  }

  return {
    get entries() {
      return entries;
    },
    get lastSeq() {
      return lastSeq;
    },
    async load() {
      if (!path) return;
      let text = "";
      try {
        text = await readFile(path, "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
      entries = parseJournal(text, options.onCorruptLine);
      lastSeq = Math.max(lastSeq, ...entries.map((entry) => entry.seq));
      // A torn last line would glue itself to the next append: start the file afresh on a line.
      if (text && !text.endsWith("\n")) {
        const file = await writable();
        await file?.write("\n");
      }
    },
    async append(command, args) {
      const entry: JournalEntry = { seq: lastSeq + 1, command, args, at: new Date().toISOString() };
      const file = await writable();
      await file?.write(`${JSON.stringify(entry)}\n`);
      lastSeq = entry.seq;
      entries.push(entry);
      return entry;
    },
    async truncate(seq) {
      entries = entries.filter((entry) => entry.seq > seq);
      if (!path) return;
      await handle?.close();
      handle = undefined;
      const temporary = `${path}.tmp-${process.pid}`;
      const file = await open(temporary, "w");
      try {
        await file.write(entries.map((entry) => `${JSON.stringify(entry)}\n`).join(""));
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, path);
    },
    advanceTo(seq) {
      lastSeq = Math.max(lastSeq, seq);
    },
    async close() {
      await handle?.close();
      handle = undefined;
    },
  };
}
