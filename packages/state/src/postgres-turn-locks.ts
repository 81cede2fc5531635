// The turn lock of the PostgreSQL state. Each State instance (each gateway replica) keeps ONE
// extra connection, the lock connection, and holds every turn lease it grants as a session-level
// advisory lock on it (`pg_try_advisory_lock`, keyed by a 64-bit hash of the project id), next to
// a row in state_turns naming the holder. Why this design:
//   - A replica that dies, even by SIGKILL, frees its locks at once: the kernel closes its socket
//     and PostgreSQL drops a session's advisory locks with the session. No expiry to wait out, no
//     heartbeat writes. Where the replica's host vanishes without closing the socket, the
//     keepalives set on the session (about 25 s) end it.
//   - The holder stops first: a heartbeat (`SELECT 1` every few seconds while leases are held)
//     and the driver's own errors tell it when the connection is gone; it then aborts every lease
//     on that connection ("lost"), before the server could hand the lock to another replica.
//   - Cancels from any replica arrive by LISTEN/NOTIFY on the same connection
//     (channel bod_state_turns), in milliseconds; a cancel only counts when the lock is really
//     held (checked in pg_locks), so a stale row from a dead replica never answers "running".
// One connection for all of an instance's turns keeps the connection count flat however many
// turns run. Anything uncertain on it (a timeout: was the lock taken or not?) drops it, which
// releases all of its locks and aborts their turns: never two turns of one project.
import { createHash, randomUUID } from "node:crypto";
import { Client, type ClientConfig, type Notification } from "pg";
import { withDeadline } from "./postgres-failures.ts";
import type { TurnLease } from "./state.ts";

/** The NOTIFY channel for cancels; the payload is JSON {projectId, leaseId, reason}. */
export const TURN_CHANNEL = "bod_state_turns";

/** The advisory-lock key of a project's turn: the first 8 bytes of SHA-256("bod-turn:" + id), signed. */
export function turnLockKey(projectId: string): bigint {
  return createHash("sha256").update(`bod-turn:${projectId}`).digest().readBigInt64BE(0);
}

/** The key as pg_locks shows it: classid (high 32 bits) and objid (low 32 bits), with objsubid 1. */
export function turnLockParts(key: bigint): { classid: string; objid: string } {
  const unsigned = BigInt.asUintN(64, key);
  return { classid: String(unsigned >> 32n), objid: String(unsigned & 0xffffffffn) };
}

export interface PostgresTurnLocksOptions {
  /** The connection settings of the state's pool (URL, timeouts). */
  client: ClientConfig;
  /** Deadline of each lock operation, milliseconds. */
  timeoutMs: number;
  /** How often the lock connection is checked while it holds leases, milliseconds. */
  heartbeatMs: number;
  /** Names the connection in pg_stat_activity: `bod-state-turns <tag>`. */
  tag: string;
}

export interface PostgresTurnLocks {
  tryAcquire(projectId: string, holder: string): Promise<TurnLease | undefined>;
  /** Aborts every lease and closes the lock connection. */
  close(reason: string): Promise<void>;
}

interface Entry {
  leaseId: string;
  controller: AbortController;
}

interface LockConnection {
  client: Client;
  leases: Map<string, Entry>;
  lost: boolean;
  heartbeat?: ReturnType<typeof setInterval>;
}

export function createPostgresTurnLocks(options: PostgresTurnLocksOptions): PostgresTurnLocks {
  let current: Promise<LockConnection> | undefined;
  /** The connection `current` opens or opened, known as soon as it is created. */
  let currentConnection: LockConnection | undefined;
  let closed = false;

  function lose(connection: LockConnection, reason: string): void {
    if (connection.lost) return;
    connection.lost = true;
    clearInterval(connection.heartbeat);
    for (const entry of connection.leases.values()) entry.controller.abort(new Error(reason));
    connection.leases.clear();
    // Cutting the socket (rather than a polite goodbye that a stalled server never reads) makes
    // sure nothing sent on it later can take or keep a lock.
    connection.client.connection.stream.destroy();
    if (currentConnection === connection) {
      currentConnection = undefined;
      current = undefined;
    }
  }

  const lostReason = "The turn lock was lost: the connection to the state database dropped.";

  async function open(): Promise<LockConnection> {
    const client = new Client({ ...options.client, application_name: `bod-state-turns ${options.tag}`.slice(0, 63) });
    const connection: LockConnection = { client, leases: new Map(), lost: false };
    currentConnection = connection;
    client.on("error", () => lose(connection, lostReason));
    client.on("end", () => lose(connection, lostReason));
    client.on("notification", (message: Notification) => {
      if (message.channel !== TURN_CHANNEL || !message.payload) return;
      let cancel: { projectId?: unknown; leaseId?: unknown; reason?: unknown };
      try {
        cancel = JSON.parse(message.payload) as typeof cancel;
      } catch {
        return;
      }
      const entry = typeof cancel.projectId === "string" ? connection.leases.get(cancel.projectId) : undefined;
      if (entry && entry.leaseId === cancel.leaseId)
        entry.controller.abort(new Error(typeof cancel.reason === "string" ? cancel.reason : "Cancelled."));
    });
    await client.connect();
    // The server drops a peer that stopped answering after about 10 + 3 x 5 s, freeing its locks.
    await client.query(
      `SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3; LISTEN ${TURN_CHANNEL}`,
    );
    if (connection.lost) throw new Error(lostReason);
    return connection;
  }

  function connection(): Promise<LockConnection> {
    if (!current) {
      const opening = open();
      current = opening;
      opening.catch(() => {
        if (current === opening) {
          current = undefined;
          currentConnection = undefined;
        }
      });
    }
    return current;
  }

  function watch(connection: LockConnection): void {
    if (connection.heartbeat) return;
    connection.heartbeat = setInterval(() => {
      if (connection.leases.size === 0) {
        clearInterval(connection.heartbeat);
        connection.heartbeat = undefined;
        return;
      }
      withDeadline(options.timeoutMs, () => connection.client.query("SELECT 1")).catch(() => lose(connection, lostReason));
    }, options.heartbeatMs);
    connection.heartbeat.unref();
  }

  async function release(connection: LockConnection, projectId: string, entry: Entry, key: bigint): Promise<void> {
    if (connection.leases.get(projectId) !== entry) return;
    connection.leases.delete(projectId);
    if (connection.lost) return;
    try {
      await withDeadline(
        options.timeoutMs,
        () =>
          connection.client.query(
            `WITH gone AS (DELETE FROM state_turns WHERE project_id = $1 AND lease_id = $2)
             SELECT pg_advisory_unlock($3::bigint) AS unlocked`,
            [projectId, entry.leaseId, String(key)],
          ),
        () => lose(connection, lostReason),
      );
    } catch {
      // The lock could not be given back politely; dropping the connection gives it back.
      lose(connection, lostReason);
    }
  }

  return {
    async tryAcquire(projectId, holder) {
      if (closed) throw new Error("The state is closed.");
      const key = turnLockKey(projectId);
      let opened: LockConnection | undefined;
      return withDeadline(
        options.timeoutMs,
        async () => {
          const lockConnection = await connection();
          opened = lockConnection;
          // This instance's own leases: a session's advisory locks are re-entrant, so they are checked here.
          if (lockConnection.leases.has(projectId)) return undefined;
          // Registered before asking, so a cancel that arrives in the same read as the answer finds it.
          const taken: Entry = { leaseId: randomUUID(), controller: new AbortController() };
          lockConnection.leases.set(projectId, taken);
          let ok: boolean;
          try {
            const result = await lockConnection.client.query<{ ok: boolean }>(
              `WITH lock AS (SELECT pg_try_advisory_lock($1::bigint) AS ok),
               claim AS (
                 INSERT INTO state_turns (project_id, lease_id, holder, started_at)
                 SELECT $2, $3, $4, now() FROM lock WHERE ok
                 ON CONFLICT (project_id) DO UPDATE SET lease_id = excluded.lease_id, holder = excluded.holder,
                   started_at = excluded.started_at, cancel_requested_at = NULL, cancel_reason = NULL
               )
               SELECT ok FROM lock`,
              [String(key), projectId, taken.leaseId, holder],
            );
            ok = result.rows[0]?.ok === true;
          } catch (error) {
            lose(lockConnection, lostReason);
            throw error;
          }
          if (!ok) {
            if (lockConnection.leases.get(projectId) === taken) lockConnection.leases.delete(projectId);
            return undefined;
          }
          if (lockConnection.lost) taken.controller.abort(new Error(lostReason));
          watch(lockConnection);
          const lease: TurnLease = {
            projectId,
            holder,
            cancelled: taken.controller.signal,
            release: () => release(lockConnection, projectId, taken, key),
          };
          return lease;
        },
        // Whether the lock was taken is unknown now: drop the connection so it surely is not.
        () => {
          if (opened) lose(opened, lostReason);
        },
      );
    },
    async close(reason) {
      closed = true;
      const pending = current;
      current = undefined;
      const lockConnection = await pending?.catch(() => undefined);
      if (!lockConnection) return;
      for (const entry of lockConnection.leases.values()) entry.controller.abort(new Error(reason));
      lockConnection.leases.clear();
      lockConnection.lost = true;
      clearInterval(lockConnection.heartbeat);
      await withDeadline(options.timeoutMs, () => lockConnection.client.end()).catch(() =>
        lockConnection.client.connection.stream.destroy(),
      );
    },
  };
}
