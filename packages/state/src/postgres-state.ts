// The scale-out State: PostgreSQL through a `pg` pool, shared by every gateway replica. Users,
// projects and conversations are plain rows; the turn lock is an advisory lock on one connection
// per instance (postgres-turn-locks.ts); rate limits are one atomic UPSERT per request on a shared
// bucket row, timed by the database's clock so replicas with skewed clocks agree.
//
// Deadlines: every call settles within `timeoutMs` (default 5 s; deleteProject within
// `timeoutMs + turnStopTimeoutMs`, as it first waits for a running turn to stop). A database that
// is down, unreachable or slower than that fails the call with StateUnavailableError; what the
// call was writing is rolled back (a transaction is never committed after its deadline, as the
// connection is dropped), and the next call works again as soon as the database answers.
import { randomBytes } from "node:crypto";
import type { ToolCallRecord, TurnArtifact } from "@bod/agent";
import { type ClientConfig, DatabaseError, Pool, type PoolClient, type QueryConfig, type QueryResult, type QueryResultRow } from "pg";
import { DECOY_HASH, issueToken, parseToken, secretMatches } from "./api-token.ts";
import { StateUnavailableError } from "./errors/state-unavailable-error.ts";
import { TurnStillRunningError } from "./errors/turn-still-running-error.ts";
import { UserExistsError } from "./errors/user-exists-error.ts";
import { isUnavailable, withDeadline } from "./postgres-failures.ts";
import { migratePostgres, POSTGRES_MIGRATIONS } from "./postgres-migrations.ts";
import { createPostgresTurnLocks, TURN_CHANNEL, turnLockKey, turnLockParts } from "./postgres-turn-locks.ts";
import { projectIdFor, userIdFor } from "./project-id.ts";
import {
  type ConversationMessage,
  checkHolder,
  checkRateLimit,
  type Project,
  type ProjectContext,
  readContext,
  type State,
  secondsUntilToken,
  trimContext,
  type User,
} from "./state.ts";

export interface PostgresStateOptions {
  /** `postgres://USER@HOST:PORT/DATABASE`; the password comes from PGPASSWORD (or ~/.pgpass), never the URL. */
  url: string;
  /** Deadline of each call, milliseconds; default 5000. Connecting, waiting for a pooled connection and each statement are bounded by it too. */
  timeoutMs?: number;
  /** How long deleteProject waits for the project's running turn to stop, milliseconds; default 5000. */
  turnStopTimeoutMs?: number;
  /** Deadline of the migrations at start (including waiting for another replica's), milliseconds; default 60 000. */
  migrationTimeoutMs?: number;
  /** Connections in the pool (the lock connection is one more); default 10. */
  maxConnections?: number;
  /** How often the lock connection is checked while it holds turn leases, milliseconds; default 2000. */
  heartbeatMs?: number;
  /** Names this instance's connections in pg_stat_activity; default `<hostname-ish> <pid>`. */
  tag?: string;
}

export interface PostgresState extends State {
  /** The pool, for tests and tools that query the database directly. */
  readonly pool: Pool;
  /** The `application_name` of this instance's lock connection (to find it in pg_stat_activity). */
  readonly lockConnectionName: string;
}

interface MessageRow {
  id: string;
  project_id: string;
  turn_id: string;
  role: "user" | "assistant";
  text: string;
  tool_calls: ToolCallRecord[];
  artifacts: TurnArtifact[];
  created_at: Date;
}
type UserRow = { id: string; name: string; created_at: Date };
type ProjectRow = { id: string; owner_id: string; name: string; created_at: Date };

const toUser = (row: UserRow): User => ({ id: row.id, name: row.name, createdAt: row.created_at.toISOString() });
const toProject = (row: ProjectRow): Project => ({
  id: row.id,
  ownerId: row.owner_id,
  name: row.name,
  createdAt: row.created_at.toISOString(),
});
const toMessage = (row: MessageRow): ConversationMessage => ({
  id: Number(row.id),
  projectId: row.project_id,
  turnId: row.turn_id,
  role: row.role,
  text: row.text,
  toolCalls: row.tool_calls,
  artifacts: row.artifacts,
  createdAt: row.created_at.toISOString(),
});

const MESSAGE_COLUMNS = "id, project_id, turn_id, role, text, tool_calls, artifacts, created_at";

/** How often this instance sweeps expired rate-limit buckets, milliseconds. */
const SWEEP_INTERVAL_MS = 60_000;

/** The URL with any password removed, for messages. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = "";
    return parsed.toString();
  } catch {
    return "(an unparsable URL)";
  }
}

/**
 * Connects to the PostgreSQL state at `options.url`, migrating its schema first (safe when several
 * replicas start at once). Fails with StateUnavailableError when the database cannot be reached.
 */
export async function createPostgresState(options: PostgresStateOptions): Promise<PostgresState> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const turnStopTimeoutMs = options.turnStopTimeoutMs ?? 5000;
  const tag = options.tag ?? `${process.pid}-${randomBytes(3).toString("hex")}`;
  const base: ClientConfig = {
    connectionString: options.url,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    statement_timeout: timeoutMs,
    lock_timeout: timeoutMs,
    // A transaction left open by a replica that hangs must not hold rows for long.
    idle_in_transaction_session_timeout: timeoutMs * 2,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
  try {
    await migratePostgres(
      { ...base, application_name: `bod-state-migrate ${tag}` },
      "state",
      POSTGRES_MIGRATIONS,
      options.migrationTimeoutMs ?? 60_000,
    );
  } catch (error) {
    if (error instanceof StateUnavailableError)
      throw new StateUnavailableError(`Cannot reach the state database at ${redact(options.url)}: ${describe(error.cause ?? error)}`, {
        cause: error,
      });
    throw error;
  }

  const pool = new Pool({ ...base, application_name: `bod-state ${tag}`, max: options.maxConnections ?? 10, idleTimeoutMillis: 30_000 });
  // An idle pooled connection that drops is replaced on the next call; the error must not crash the process.
  pool.on("error", () => {});
  const lockConnectionName = `bod-state-turns ${tag}`.slice(0, 63);
  const locks = createPostgresTurnLocks({ client: base, timeoutMs, heartbeatMs: options.heartbeatMs ?? 2000, tag });
  let lastSweep = 0;
  let closed = false;

  /** One statement on a pooled connection, within the deadline. */
  function query<R extends QueryResultRow>(text: string, values: unknown[] = []): Promise<QueryResult<R>> {
    if (closed) return Promise.reject(new Error("The state is closed."));
    return withDeadline(timeoutMs, () => pool.query<R>(text, values));
  }

  /**
   * `work` in a transaction on one pooled connection, within `deadlineMs`. A statement the
   * database refused (a constraint, a lock timeout) is rolled back and the connection reused; on
   * anything else (a timeout, a dropped connection) the connection is dropped rather than reused,
   * so a transaction cut off mid-way is rolled back by the server and never committed later.
   */
  async function transaction<T>(work: (client: PoolClient) => Promise<T>, deadlineMs = timeoutMs): Promise<T> {
    if (closed) throw new Error("The state is closed.");
    let client: PoolClient | undefined;
    let done = false;
    const drop = () => {
      if (client && !done) {
        done = true;
        client.connection.stream.destroy();
        client.release(new Error("dropped"));
      }
    };
    return withDeadline(
      deadlineMs,
      async () => {
        client = await pool.connect();
        try {
          await client.query("BEGIN");
          const value = await work(client);
          await client.query("COMMIT");
          if (!done) {
            done = true;
            client.release();
          }
          return value;
        } catch (error) {
          const refused = error instanceof DatabaseError && !isUnavailable(error);
          if (refused && !done) {
            done = true;
            const connection = client;
            await connection.query("ROLLBACK").then(
              () => connection.release(),
              (rollbackError: Error) => connection.release(rollbackError),
            );
          } else drop();
          throw error;
        }
      },
      drop,
    );
  }

  const state: PostgresState = {
    pool,
    lockConnectionName,

    async createUser(name) {
      const user: User = { id: userIdFor(), name, createdAt: new Date().toISOString() };
      const issued = issueToken();
      try {
        await transaction(async (client) => {
          await client.query("INSERT INTO state_users (id, name, created_at) VALUES ($1, $2, $3)", [user.id, name, user.createdAt]);
          await client.query("INSERT INTO state_tokens (id, user_id, secret_sha256, created_at) VALUES ($1, $2, $3, $4)", [
            issued.id,
            user.id,
            issued.hash,
            user.createdAt,
          ]);
        });
      } catch (error) {
        if ((error as { code?: string }).code === "23505" && (error as { constraint?: string }).constraint === "state_users_name_key")
          throw new UserExistsError(name);
        throw error;
      }
      return { user, token: issued.token };
    },
    async issueToken(userId) {
      const issued = issueToken();
      await query("INSERT INTO state_tokens (id, user_id, secret_sha256, created_at) VALUES ($1, $2, $3, now())", [
        issued.id,
        userId,
        issued.hash,
      ]);
      return issued.token;
    },
    async findUserByName(name) {
      const { rows } = await query<UserRow>("SELECT id, name, created_at FROM state_users WHERE name = $1", [name]);
      return rows[0] ? toUser(rows[0]) : undefined;
    },
    async authenticate(token) {
      const parsed = parseToken(token);
      if (!parsed) return undefined;
      const { rows } = await query<UserRow & { secret_sha256: string }>(
        `SELECT t.secret_sha256, u.id, u.name, u.created_at
         FROM state_tokens t JOIN state_users u ON u.id = t.user_id WHERE t.id = $1`,
        [parsed.id],
      );
      const row = rows[0];
      const matches = secretMatches(parsed.secret, row?.secret_sha256 ?? DECOY_HASH);
      return row && matches ? toUser(row) : undefined;
    },

    async createProject(ownerId, name) {
      const project: Project = { id: projectIdFor(name), ownerId, name, createdAt: new Date().toISOString() };
      await query("INSERT INTO state_projects (id, owner_id, name, created_at) VALUES ($1, $2, $3, $4)", [
        project.id,
        ownerId,
        name,
        project.createdAt,
      ]);
      return project;
    },
    async listProjects(ownerId) {
      const { rows } = await query<ProjectRow>(
        "SELECT id, owner_id, name, created_at FROM state_projects WHERE owner_id = $1 ORDER BY created_at DESC, id",
        [ownerId],
      );
      return rows.map(toProject);
    },
    async getProject(ownerId, projectId) {
      const { rows } = await query<ProjectRow>(
        "SELECT id, owner_id, name, created_at FROM state_projects WHERE owner_id = $1 AND id = $2",
        [ownerId, projectId],
      );
      return rows[0] ? toProject(rows[0]) : undefined;
    },
    async deleteProject(projectId) {
      await state.requestCancel(projectId, "The project was deleted.");
      try {
        return await transaction(async (client) => {
          // Waits for the running turn (on whichever replica) to give its lock back, and keeps new
          // turns out until the project is gone; the lock ends with the transaction.
          await client.query({
            text: `SET LOCAL lock_timeout = ${Math.round(turnStopTimeoutMs)}; SET LOCAL statement_timeout = ${Math.round(turnStopTimeoutMs + timeoutMs)}`,
          });
          await client.query({
            text: "SELECT pg_advisory_xact_lock($1::bigint)",
            values: [String(turnLockKey(projectId))],
            query_timeout: turnStopTimeoutMs + timeoutMs,
          } as QueryConfig);
          const removed = await client.query("DELETE FROM state_projects WHERE id = $1", [projectId]);
          await client.query("DELETE FROM state_messages WHERE project_id = $1", [projectId]);
          await client.query("DELETE FROM state_project_contexts WHERE project_id = $1", [projectId]);
          await client.query("DELETE FROM state_turns WHERE project_id = $1", [projectId]);
          return (removed.rowCount ?? 0) > 0;
        }, turnStopTimeoutMs + timeoutMs);
      } catch (error) {
        if ((error as { code?: string }).code === "55P03") throw new TurnStillRunningError(projectId, turnStopTimeoutMs);
        throw error;
      }
    },

    async secret(name) {
      const inserted = await query<{ value: Buffer }>(
        "INSERT INTO state_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING value",
        [name, randomBytes(32)],
      );
      // Another instance may have written it first; a new statement sees its committed row.
      const row = inserted.rows[0] ?? (await query<{ value: Buffer }>("SELECT value FROM state_secrets WHERE name = $1", [name])).rows[0];
      if (!row) throw new Error(`The secret "${name}" could not be read back.`);
      return new Uint8Array(row.value);
    },

    async appendMessage(message) {
      const { rows } = await query<MessageRow>(
        `INSERT INTO state_messages (project_id, turn_id, role, text, tool_calls, artifacts, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${MESSAGE_COLUMNS}`,
        [
          message.projectId,
          message.turnId,
          message.role,
          message.text,
          JSON.stringify(message.toolCalls),
          JSON.stringify(message.artifacts),
          message.createdAt ?? new Date().toISOString(),
        ],
      );
      return toMessage(rows[0]!);
    },
    async listMessages(projectId, options = {}) {
      const limit = Math.max(1, Math.min(options.limit ?? 1000, 10_000));
      const { rows } =
        options.beforeId === undefined
          ? await query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM state_messages WHERE project_id = $1 ORDER BY id DESC LIMIT $2`, [
              projectId,
              limit,
            ])
          : await query<MessageRow>(
              `SELECT ${MESSAGE_COLUMNS} FROM state_messages WHERE project_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`,
              [projectId, options.beforeId, limit],
            );
      return rows.reverse().map(toMessage);
    },
    async getContext(projectId) {
      const { rows } = await query<{ context: Partial<ProjectContext> }>(
        "SELECT context FROM state_project_contexts WHERE project_id = $1",
        [projectId],
      );
      return readContext(rows[0]?.context);
    },
    async saveContext(projectId, context) {
      await query(
        `INSERT INTO state_project_contexts (project_id, context, updated_at) VALUES ($1, $2, now())
         ON CONFLICT (project_id) DO UPDATE SET context = excluded.context, updated_at = excluded.updated_at`,
        [projectId, JSON.stringify(trimContext(context))],
      );
    },

    async tryAcquireTurn(projectId, { holder }) {
      checkHolder(holder);
      return locks.tryAcquire(projectId, holder);
    },
    async requestCancel(projectId, reason = "Cancelled by the user.") {
      const { classid, objid } = turnLockParts(turnLockKey(projectId));
      // Only a row whose lock is really held counts: a replica that died left its row behind.
      const { rowCount } = await query(
        `WITH target AS (
           UPDATE state_turns SET cancel_requested_at = now(), cancel_reason = $2
           WHERE project_id = $1 AND EXISTS (
             SELECT 1 FROM pg_locks
             WHERE locktype = 'advisory' AND granted AND objsubid = 1
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND classid = $3::bigint::oid AND objid = $4::bigint::oid)
           RETURNING project_id, lease_id)
         SELECT pg_notify('${TURN_CHANNEL}', json_build_object('projectId', project_id, 'leaseId', lease_id, 'reason', $2::text)::text)
         FROM target`,
        [projectId, reason, classid, objid],
      );
      return (rowCount ?? 0) > 0;
    },

    async takeRateLimit(key, limit) {
      checkRateLimit(key, limit);
      const now = Date.now();
      if (now - lastSweep > SWEEP_INTERVAL_MS) {
        lastSweep = now;
        query("DELETE FROM state_rate_limits WHERE expires_at < now()").catch(() => {});
      }
      // Refill for the time since the bucket's last use, take one request if there is one, say
      // whether it did: one statement, so concurrent requests on any replica queue on the row.
      const { rows } = await query<{ tokens: number; allowed: boolean }>(
        `INSERT INTO state_rate_limits AS bucket (key, tokens, allowed, updated_at, expires_at)
         VALUES ($1, $2::float8 - 1, true, now(), now() + make_interval(secs => $4))
         ON CONFLICT (key) DO UPDATE SET (tokens, allowed, updated_at, expires_at) = (
           SELECT CASE WHEN refill.tokens >= 1 THEN refill.tokens - 1 ELSE refill.tokens END,
                  refill.tokens >= 1,
                  greatest(bucket.updated_at, now()),
                  now() + make_interval(secs => $4)
           FROM (SELECT least($2::float8,
                   bucket.tokens + greatest(0, extract(epoch FROM now() - bucket.updated_at))::float8 * $3::float8) AS tokens) AS refill)
         RETURNING tokens, allowed`,
        [key, limit.capacity, limit.refillPerSecond, limit.capacity / limit.refillPerSecond],
      );
      const row = rows[0]!;
      return row.allowed ? 0 : secondsUntilToken(row.tokens, limit);
    },

    async close() {
      if (closed) return;
      closed = true;
      await locks.close("The state was closed while the turn ran.");
      await withDeadline(timeoutMs, () => pool.end()).catch(() => {});
    },
  };
  return state;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? `${error.message} (${code})` : error.message;
}
