// The turn lock of the SQLite state: a lease table in this process's memory, one per database
// file, shared by every State instance that opens that file here. SQLite is the one-process store
// (`bod serve`: one gateway, one agent), so memory is where the truth is; the lock is gone with the
// process, so a killed server never leaves a project locked. A second process on the same file
// (e.g. `bod user`) does not run turns.
import { randomUUID } from "node:crypto";
import type { TurnLease } from "./state.ts";

interface Entry {
  leaseId: string;
  holder: string;
  /** The State instance that took it, so closing that instance releases its leases. */
  owner: object;
  controller: AbortController;
  released: Promise<void>;
  markReleased: () => void;
}

export interface LocalTurnLocks {
  tryAcquire(projectId: string, holder: string, owner: object): TurnLease | undefined;
  /** Aborts the lease's signal with `reason`; whether a lease was held. */
  requestCancel(projectId: string, reason: string): boolean;
  /**
   * Holds the project's lock while `work` runs, first cancelling a running turn and waiting up to
   * `timeoutMs` for it to release. Resolves to undefined (work not run) when it did not.
   */
  whileLocked<T>(projectId: string, owner: object, timeoutMs: number, work: () => T): Promise<{ value: T } | undefined>;
  /** Releases every lease `owner` holds, aborting its turn with `reason`. */
  releaseAll(owner: object, reason: string): void;
}

const byDatabase = new Map<string, LocalTurnLocks>();

/** The lock table of the database known as `key` (its real path) in this process. */
export function localTurnLocksFor(key: string): LocalTurnLocks {
  let locks = byDatabase.get(key);
  if (!locks) {
    locks = createLocalTurnLocks();
    byDatabase.set(key, locks);
  }
  return locks;
}

/** A lock table of its own (an in-memory database shares it with no one). */
export function createLocalTurnLocks(): LocalTurnLocks {
  const entries = new Map<string, Entry>();

  const release = (projectId: string, entry: Entry) => {
    if (entries.get(projectId) === entry) entries.delete(projectId);
    entry.markReleased();
  };

  const take = (projectId: string, holder: string, owner: object): Entry | undefined => {
    if (entries.has(projectId)) return undefined;
    let markReleased!: () => void;
    const released = new Promise<void>((resolve) => {
      markReleased = resolve;
    });
    const entry: Entry = { leaseId: randomUUID(), holder, owner, controller: new AbortController(), released, markReleased };
    entries.set(projectId, entry);
    return entry;
  };

  return {
    tryAcquire(projectId, holder, owner) {
      const entry = take(projectId, holder, owner);
      if (!entry) return undefined;
      return {
        projectId,
        holder,
        cancelled: entry.controller.signal,
        async release() {
          release(projectId, entry);
        },
      };
    },
    requestCancel(projectId, reason) {
      const entry = entries.get(projectId);
      if (!entry) return false;
      entry.controller.abort(new Error(reason));
      return true;
    },
    async whileLocked(projectId, owner, timeoutMs, work) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const entry = take(projectId, "deleting the project", owner);
        if (entry) {
          try {
            return { value: work() };
          } finally {
            release(projectId, entry);
          }
        }
        const running = entries.get(projectId)!;
        running.controller.abort(new Error("The project was deleted."));
        const left = deadline - Date.now();
        if (left <= 0) return undefined;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timedOut = await Promise.race([
          running.released.then(() => false),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(true), left);
          }),
        ]);
        clearTimeout(timer);
        if (timedOut) return undefined;
      }
    },
    releaseAll(owner, reason) {
      for (const [projectId, entry] of entries) {
        if (entry.owner !== owner) continue;
        entry.controller.abort(new Error(reason));
        release(projectId, entry);
      }
    },
  };
}
