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
// A call that carries an idempotency key (`_meta["bod/idempotencyKey"]`) has the key and a digest
// of its request in both of its lines, and its result in the second, which is always written:
//
//   {"seq":9,"command":"add_object","args":{…},"at":"…","key":"k-1","request":"…"}
//   {"seq":9,"command":"add_object","args":{…},"at":"…","key":"k-1","request":"…","result":{…}}
//
// So the key is stored exactly when the change is: a replay that runs the entry knows its key, and
// takes Blender's answer as the result where the second line never landed. A voided entry's key is
// not kept. Keys of entries a snapshot folds in go with the snapshot (`keysToKeep`), bounded to the
// KEPT_KEYS most recent of the last KEPT_KEYS_MAX_AGE_MS.
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
  /** The idempotency key the call carried, if any. */
  key?: string;
  /** With `key`: a digest of the tool and the input the key was used for. */
  request?: string;
  /** With `key`: what the call answered, on the line that settles the entry. */
  result?: unknown;
};

/** A key and request digest for a call: the same key is applied once. */
export interface CallIdempotency {
  /** The caller's idempotency key (see REQUEST_META_KEYS.idempotencyKey). */
  key: string;
  /** A digest of the tool and its input: the same key with another request is refused. */
  request: string;
}

/** An idempotency key whose change is in the scene, and the result its call answered. */
export interface KeptKey extends CallIdempotency {
  /** The entry that made the change. */
  seq: number;
  /** ISO 8601 time the change was journaled. */
  at: string;
  result: unknown;
}

/** Keys a snapshot keeps for the entries it folds in: at most this many, the most recent. */
export const KEPT_KEYS = 2_000;
/** ... and none older than this, in milliseconds (24 hours). */
export const KEPT_KEYS_MAX_AGE_MS = 24 * 60 * 60 * 1000;

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
   * restore that runs meanwhile (the call crashed Blender) does not replay it. A keyed call's key
   * and request digest are written with it.
   */
  begin(command: BridgeCommand, args: Record<string, unknown>, idempotency?: CallIdempotency): PendingJournalEntry;
  /**
   * The call succeeded: resolves once its entry is stored, rewritten first when Blender resolved
   * `args` differently from what was written ahead (pass the same object when it did not), or when
   * the call is keyed (the line then holds `result`, and the key is kept from then on). When it
   * rejects, the entry is owed a void.
   */
  commit(pending: PendingJournalEntry, args?: Record<string, unknown>, result?: unknown): Promise<JournalEntry>;
  /** The change made with `key`, if it is in the scene (committed, replayed, or held by the snapshot). */
  recall(key: string): KeptKey | undefined;
  /**
   * A restore replayed a keyed entry whose result line never landed: Blender's answer is its result.
   * Entries whose key is kept already are left as they are.
   */
  rememberReplayed(entry: JournalEntry, result: unknown): void;
  /** Keys a snapshot holding entries up to `seq` keeps (bounded by KEPT_KEYS and KEPT_KEYS_MAX_AGE_MS), oldest first. */
  keysToKeep(seq: number): KeptKey[];
  /** Takes the keys a snapshot kept; malformed ones are skipped. */
  adoptKeys(kept: unknown): void;
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

/** The entry a line holds, with its key, request digest and result where it has them. */
function entryOf(line: JournalLine & JournalEntry): JournalEntry {
  const entry: JournalEntry = { seq: line.seq, command: line.command, args: line.args, at: String(line.at ?? "") };
  if (typeof line.key === "string" && typeof line.request === "string") {
    entry.key = line.key;
    entry.request = line.request;
    if ("result" in line) entry.result = line.result;
  }
  return entry;
}

function isKeptKey(value: unknown): value is KeptKey {
  if (typeof value !== "object" || value === null) return false;
  const kept = value as Partial<KeptKey>;
  return (
    typeof kept.key === "string" &&
    typeof kept.request === "string" &&
    typeof kept.seq === "number" &&
    Number.isSafeInteger(kept.seq) &&
    typeof kept.at === "string" &&
    "result" in kept
  );
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
      if (!voided.has(seq)) bySeq.set(seq, entryOf(line));
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
  // Keys whose change is in the scene, by key.
  const keys = new Map<string, KeptKey>();
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

  function keep(entry: JournalEntry, result: unknown): void {
    if (entry.key === undefined || entry.request === undefined) return;
    keys.set(entry.key, { key: entry.key, request: entry.request, seq: entry.seq, at: entry.at, result });
  }

  function keysToKeep(seq: number): KeptKey[] {
    const folded = [...keys.values()].filter((kept) => kept.seq <= seq).sort((a, b) => a.seq - b.seq);
    const cutoff = Date.now() - KEPT_KEYS_MAX_AGE_MS;
    return folded.slice(-KEPT_KEYS).filter((kept) => !(Date.parse(kept.at) < cutoff));
  }

  function begin(command: BridgeCommand, args: Record<string, unknown>, idempotency?: CallIdempotency): PendingJournalEntry {
    lastSeq += 1;
    const entry: JournalEntry = { seq: lastSeq, command, args, at: new Date().toISOString() };
    if (idempotency) {
      entry.key = idempotency.key;
      entry.request = idempotency.request;
    }
    const written = writeLine(entry);
    // Awaited by commit or abandon; until then a failed write must not count as unhandled.
    written.catch(() => undefined);
    return { entry, written };
  }

  async function commit(
    pending: PendingJournalEntry,
    args: Record<string, unknown> = pending.entry.args,
    result?: unknown,
  ): Promise<JournalEntry> {
    let entry = pending.entry;
    const keyed = entry.key !== undefined;
    try {
      await pending.written;
      if (args !== entry.args || keyed) {
        entry = keyed ? { ...entry, args, result: result ?? null } : { ...entry, args };
        await writeLine(entry);
      }
    } catch (error) {
      // The store may hold the entry (a write that timed out can still land): make sure no replay
      // runs a change that was never acknowledged.
      owedVoids.add(entry.seq);
      throw error;
    }
    entries.push(entry);
    if (keyed) keep(entry, entry.result);
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
      // A keyed entry without its result line is kept once a replay has given its result.
      for (const entry of entries) if (entry.key !== undefined && "result" in entry) keep(entry, entry.result);
      // Numbers of voided calls count too: none is handed out twice.
      lastSeq = Math.max(lastSeq, read.highestSeq);
    },
    begin,
    commit,
    recall(key) {
      return keys.get(key);
    },
    rememberReplayed(entry, result) {
      if (entry.key !== undefined && !keys.has(entry.key)) keep(entry, result);
    },
    keysToKeep,
    adoptKeys(kept) {
      if (!Array.isArray(kept)) return;
      for (const value of kept) if (isKeptKey(value) && !keys.has(value.key)) keys.set(value.key, { ...value });
    },
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
        // The keys of the entries folded in live on with the snapshot, as many as it keeps.
        const kept = new Set(keysToKeep(seq).map((value) => value.key));
        for (const [key, value] of keys) if (value.seq <= seq && !kept.has(key)) keys.delete(key);
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
