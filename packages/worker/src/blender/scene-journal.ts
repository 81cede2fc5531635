// The journal of scene changes since the last snapshot: one JSON line per mutating call, with
// the arguments as resolved by Blender (the name it chose for a new object), so that replaying
// the journal on top of the snapshot rebuilds the scene exactly. Entries carry increasing
// sequence numbers; a snapshot records the last one it contains, so entries it already holds are
// skipped on replay.
//
// The journal is written ahead: a call's entry is written while Blender runs the call (`begin`),
// and the call is acknowledged once the entry is on disk and Blender has answered, so the disk
// write costs no time of its own. The outcome then settles the entry (`commit` or `abandon`):
//
//   {"seq":7,"command":"add_object","args":{"type":"cube"},"at":"…"}     written ahead
//   {"seq":7,"command":"add_object","args":{"type":"cube","name":"Cube.001"},"at":"…"}
//                                       the same number again: replaces the line above (Blender
//                                       resolved what the call left open: rare, written before
//                                       the acknowledgement)
//   {"seq":8,"void":true}               the call with this number failed: never replay it
//                                       (written before the failure is reported)
import { constants } from "node:fs";
import { type FileHandle, mkdir, open, readFile, rename } from "node:fs/promises";
import { dirname } from "node:path";
import type { BridgeCommand } from "./bridge-protocol.ts";

export interface JournalEntry {
  /** 1, 2, 3, ... across the life of the project; never reused after a snapshot or a failed call. */
  seq: number;
  command: BridgeCommand;
  args: Record<string, unknown>;
  /** ISO 8601 time the call was journaled. */
  at: string;
}

/** An entry written ahead for a call whose outcome is not known yet. */
export interface PendingJournalEntry {
  readonly entry: JournalEntry;
  /** Settles when the entry is on disk (at once for a journal in memory). */
  readonly written: Promise<void>;
}

export interface SceneJournal {
  /** Committed entries not yet folded into a snapshot, oldest first: what a restore replays. */
  readonly entries: readonly JournalEntry[];
  /** The highest sequence number handed out so far (0 when none). */
  readonly lastSeq: number;
  /** Reads the journal file, if any; a torn last line (a crash mid-write) is dropped. */
  load(): Promise<void>;
  /**
   * Starts writing the entry for a call about to run. It joins `entries` only when committed, so a
   * restore that runs meanwhile (the call crashed Blender) does not replay it.
   */
  begin(command: BridgeCommand, args: Record<string, unknown>): PendingJournalEntry;
  /**
   * The call succeeded: resolves once its entry is on disk, rewritten first when Blender resolved
   * `args` differently from what was written ahead (pass the same object when it did not).
   */
  commit(pending: PendingJournalEntry, args?: Record<string, unknown>): Promise<JournalEntry>;
  /** The call failed: resolves once the entry is marked void on disk, so that no replay runs it. */
  abandon(pending: PendingJournalEntry): Promise<void>;
  /** `begin` and `commit` in one, for a change already made. */
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

function isEntry(value: Record<string, unknown>): value is Record<string, unknown> & JournalEntry {
  return typeof value.command === "string" && typeof value.args === "object" && value.args !== null;
}

/**
 * Reads journal text: the entries to replay, in sequence order (a later line with an entry's
 * number replaces it, a void line removes it), and the highest number any line uses. Malformed
 * lines are reported and skipped.
 */
function readJournal(text: string, onCorruptLine?: (lineNumber: number, line: string) => void) {
  const bySeq = new Map<number, JournalEntry>();
  let highestSeq = 0;
  text.split("\n").forEach((line, index) => {
    if (!line.trim()) return;
    try {
      const value = JSON.parse(line) as Record<string, unknown>;
      if (typeof value !== "object" || value === null || !Number.isSafeInteger(value.seq)) throw new Error("no sequence number");
      const seq = value.seq as number;
      if (value.void === true) bySeq.delete(seq);
      else if (isEntry(value)) bySeq.set(seq, value);
      else throw new Error("not a journal entry");
      highestSeq = Math.max(highestSeq, seq);
    } catch {
      onCorruptLine?.(index + 1, line);
    }
  });
  return { entries: [...bySeq.values()].sort((a, b) => a.seq - b.seq), highestSeq };
}

/** The entries journal text holds, as a restore replays them. */
export function parseJournal(text: string, onCorruptLine?: (lineNumber: number, line: string) => void): JournalEntry[] {
  return readJournal(text, onCorruptLine).entries;
}

/** Creates a journal; call `load()` before use when it has a file. */
export function createSceneJournal(options: SceneJournalOptions = {}): SceneJournal {
  const path = options.path;
  let entries: JournalEntry[] = [];
  let lastSeq = 0;
  let handle: FileHandle | undefined;
  // Lines go to disk one after another, in the order they were asked for: a replacement or a void
  // line must land after the line it settles.
  let writing: Promise<unknown> = Promise.resolve();

  async function writable(): Promise<FileHandle | undefined> {
    if (!path) return undefined;
    if (!handle) {
      await mkdir(dirname(path), { recursive: true });
      // O_DSYNC: a write returns once its data is on disk, as write plus fdatasync would, in one
      // trip to the thread pool instead of two (a write is on every mutating call's path).
      handle = await open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC);
    }
    return handle;
  }

  /** Queues a line; resolves once it is on disk. A failed write fails only its own line. */
  function writeLine(value: unknown): Promise<void> {
    const written = writing.then(async () => {
      const file = await writable();
      await file?.write(`${JSON.stringify(value)}\n`);
    });
    writing = written.catch(() => undefined);
    return written;
  }

  function begin(command: BridgeCommand, args: Record<string, unknown>): PendingJournalEntry {
    lastSeq += 1;
    const entry: JournalEntry = { seq: lastSeq, command, args, at: new Date().toISOString() };
    const written = writeLine(entry);
    // Awaited by commit or abandon; until then a failed write must not count as unhandled.
    written.catch(() => undefined);
    return { entry, written };
  }

  async function commit(pending: PendingJournalEntry, args: Record<string, unknown> = pending.entry.args): Promise<JournalEntry> {
    await pending.written;
    let entry = pending.entry;
    if (args !== entry.args) {
      entry = { ...entry, args };
      await writeLine(entry);
    }
    entries.push(entry);
    return entry;
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
      const read = readJournal(text, options.onCorruptLine);
      entries = read.entries;
      // Numbers of voided calls count too: none is handed out twice.
      lastSeq = Math.max(lastSeq, read.highestSeq);
      // A torn last line would glue itself to the next write: start the file afresh on a line.
      if (text && !text.endsWith("\n")) {
        const file = await writable();
        await file?.write("\n");
      }
    },
    begin,
    commit,
    async abandon(pending) {
      // Whether or not the entry reached the disk, the void line makes sure no replay runs it.
      await pending.written.catch(() => undefined);
      await writeLine({ seq: pending.entry.seq, void: true });
    },
    async append(command, args) {
      return commit(begin(command, args));
    },
    async truncate(seq) {
      entries = entries.filter((entry) => entry.seq > seq);
      if (!path) return;
      await writing;
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
      await writing;
      await handle?.close();
      handle = undefined;
    },
  };
}
