// The journal of scene changes since the last snapshot: one line per mutating call, with the
// arguments as resolved by Blender (the name it chose for a new object), so that replaying the
// journal on top of the snapshot rebuilds the scene exactly. Entries carry increasing sequence
// numbers; a snapshot records the last one it contains, so entries it already holds are skipped
// on replay. Lines are kept by the project's scene store (a file, or PostgreSQL rows), whose
// append is durable when it resolves.
//
// The journal is written ahead: a call's entry is written while Blender runs the call (`begin`),
// and the call is acknowledged once the entry is stored and Blender has answered, so the write
// costs no time of its own. The outcome then settles the entry (`commit` or `abandon`):
//
//   {"seq":7,"command":"add_object","args":{"type":"cube"},"at":"…"}     written ahead
//   {"seq":7,"command":"add_object","args":{"type":"cube","name":"Cube.001"},"at":"…"}
//                                       the same number again: replaces the line above (Blender
//                                       resolved what the call left open: rare, written before
//                                       the acknowledgement)
//   {"seq":8,"void":true}               the call with this number failed: never replay it
//                                       (written before the failure is reported)
//
// A void is final: a line of a voided number is never replayed, wherever it lands. A write whose
// outcome is unknown (the store timed out; the row may still be committed later) leaves its
// change unacknowledged, and the journal owes that number a void, written ahead of the next line.
import type { JournalLine, ProjectScene } from "@bod/storage";
import type { BridgeCommand } from "./bridge-protocol.ts";

// A type rather than an interface: it is a JournalLine as it stands (a JSON object with a seq).
export type JournalEntry = {
  /** 1, 2, 3, ... across the life of the project; never reused after a snapshot or a failed call. */
  seq: number;
  command: BridgeCommand;
  args: Record<string, unknown>;
  /** ISO 8601 time the call was journaled. */
  at: string;
};

/** An entry written ahead for a call whose outcome is not known yet. */
export interface PendingJournalEntry {
  readonly entry: JournalEntry;
  /** Settles when the entry is stored (at once for a journal in memory). */
  readonly written: Promise<void>;
}

export interface SceneJournal {
  /** Committed entries not yet folded into a snapshot, oldest first: what a restore replays. */
  readonly entries: readonly JournalEntry[];
  /** The highest sequence number handed out so far (0 when none). */
  readonly lastSeq: number;
  /** Reads the stored journal, if any. */
  load(): Promise<void>;
  /**
   * Starts writing the entry for a call about to run. It joins `entries` only when committed, so a
   * restore that runs meanwhile (the call crashed Blender) does not replay it.
   */
  begin(command: BridgeCommand, args: Record<string, unknown>): PendingJournalEntry;
  /**
   * The call succeeded: resolves once its entry is stored, rewritten first when Blender resolved
   * `args` differently from what was written ahead (pass the same object when it did not). When it
   * rejects, the entry is owed a void.
   */
  commit(pending: PendingJournalEntry, args?: Record<string, unknown>): Promise<JournalEntry>;
  /**
   * The call failed: resolves once the entry is marked void in the store, so that no replay runs
   * it. When that write fails, the void is owed and written ahead of the next line.
   */
  abandon(pending: PendingJournalEntry): Promise<void>;
  /** `begin` and `commit` in one, for a change already made. */
  append(command: BridgeCommand, args: Record<string, unknown>): Promise<JournalEntry>;
  /** Forgets entries up to `seq` (now held by a snapshot), in memory and in the store. */
  truncate(seq: number): Promise<void>;
  /** Raises the sequence counter to at least `seq` (the snapshot's), so numbers keep growing. */
  advanceTo(seq: number): void;
  /** Waits for the writes under way; the store's handle is its owner's to close. */
  close(): Promise<void>;
}

/** Where a journal keeps its lines: a project scene of a SceneStore. */
export type JournalStorage = Pick<ProjectScene, "appendJournal" | "readJournal" | "truncateJournal">;

export interface SceneJournalOptions {
  /** The project's scene in its store; without one the journal lives in memory only (an unbound pool worker). */
  storage?: JournalStorage;
}

function isEntry(value: JournalLine): value is JournalLine & JournalEntry {
  return typeof value.command === "string" && typeof value.args === "object" && value.args !== null && !Array.isArray(value.args);
}

/**
 * Reads journal lines as a restore replays them: the entries in sequence order (a later line with
 * an entry's number replaces it, a void line removes it for good), and the highest number any line
 * uses. Lines that are neither entries nor voids are reported and skipped.
 */
export function replayableEntries(
  lines: readonly JournalLine[],
  onUnreadableLine?: (index: number, line: JournalLine) => void,
): { entries: JournalEntry[]; highestSeq: number } {
  const bySeq = new Map<number, JournalEntry>();
  const voided = new Set<number>();
  let highestSeq = 0;
  lines.forEach((line, index) => {
    const { seq } = line;
    if (line.void === true) {
      voided.add(seq);
      bySeq.delete(seq);
    } else if (isEntry(line)) {
      if (!voided.has(seq)) bySeq.set(seq, { seq, command: line.command, args: line.args, at: String(line.at ?? "") });
    } else {
      onUnreadableLine?.(index, line);
      return;
    }
    highestSeq = Math.max(highestSeq, seq);
  });
  return { entries: [...bySeq.values()].sort((a, b) => a.seq - b.seq), highestSeq };
}

/** The entries journal file text (`scene/journal.jsonl`) holds, as a restore replays them. Unreadable lines are skipped. */
export function parseJournal(text: string): JournalEntry[] {
  const lines: JournalLine[] = [];
  for (const raw of text.split("\n")) {
    if (!raw.trim()) continue;
    try {
      const value = JSON.parse(raw) as JournalLine;
      if (typeof value === "object" && value !== null && Number.isSafeInteger(value.seq)) lines.push(value);
    } catch {
      // A torn line: skipped, as the store skips it.
    }
  }
  return replayableEntries(lines).entries;
}

/** Creates a journal; call `load()` before use when it has storage. */
export function createSceneJournal(options: SceneJournalOptions = {}): SceneJournal {
  const storage = options.storage;
  let entries: JournalEntry[] = [];
  let lastSeq = 0;
  // Numbers whose entry may be stored although its call was not acknowledged: voided before any
  // later line is written, so no replay runs them.
  const owedVoids = new Set<number>();
  // Lines are stored one after another, in the order they were asked for: a replacement or a void
  // line must land after the line it settles.
  let writing: Promise<unknown> = Promise.resolve();

  /** Queues a line; resolves once it is stored. A failed write fails only its own line. */
  function writeLine(line: JournalLine): Promise<void> {
    const written = writing.then(async () => {
      if (!storage) return;
      for (const seq of [...owedVoids]) {
        await storage.appendJournal({ seq, void: true });
        owedVoids.delete(seq);
      }
      await storage.appendJournal(line);
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
    let entry = pending.entry;
    try {
      await pending.written;
      if (args !== entry.args) {
        entry = { ...entry, args };
        await writeLine(entry);
      }
    } catch (error) {
      // The store may hold the entry (a write that timed out can still land): make sure no replay
      // runs a change that was never acknowledged.
      owedVoids.add(entry.seq);
      throw error;
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
      if (!storage) return;
      const read = replayableEntries(await storage.readJournal());
      entries = read.entries;
      // Numbers of voided calls count too: none is handed out twice.
      lastSeq = Math.max(lastSeq, read.highestSeq);
    },
    begin,
    commit,
    async abandon(pending) {
      // Whether or not the entry was stored, the void line makes sure no replay runs it.
      await pending.written.catch(() => undefined);
      try {
        await writeLine({ seq: pending.entry.seq, void: true });
      } catch (error) {
        owedVoids.add(pending.entry.seq);
        throw error;
      }
    },
    async append(command, args) {
      return commit(begin(command, args));
    },
    async truncate(seq) {
      const truncated = writing.then(async () => {
        await storage?.truncateJournal(seq);
        // The lines of those numbers are gone, owed voids included.
        for (const owed of owedVoids) if (owed <= seq) owedVoids.delete(owed);
        entries = entries.filter((entry) => entry.seq > seq);
      });
      writing = truncated.catch(() => undefined);
      await truncated;
    },
    advanceTo(seq) {
      lastSeq = Math.max(lastSeq, seq);
    },
    async close() {
      await writing;
    },
  };
}
