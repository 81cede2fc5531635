// The embedded State: one SQLite file (Node's built-in node:sqlite, no native module) behind one
// DatabaseSync handle that the gateway and the agent share. Calls run synchronously inside the
// promise, so each method is atomic within the process; WAL and a busy timeout let a second
// process (`bod user`) use the file meanwhile. The turn lock lives in this process's memory
// (local-turn-locks.ts): the one process that serves the file is the only one running turns.
import { randomBytes } from "node:crypto";
import { mkdirSync, realpathSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { ToolCallRecord, TurnArtifact } from "@bod/agent";
import { DECOY_HASH, issueToken, parseToken, secretMatches } from "./api-token.ts";
import { TurnStillRunningError } from "./errors/turn-still-running-error.ts";
import { UserExistsError } from "./errors/user-exists-error.ts";
import { createLocalTurnLocks, localTurnLocksFor } from "./local-turn-locks.ts";
import { projectIdFor, userIdFor } from "./project-id.ts";
import { migrateSqlite, SQLITE_MIGRATIONS } from "./sqlite-migrations.ts";
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

export interface SqliteStateOptions {
  /** The database file, e.g. `<data dir>/bod.sqlite` (its folder is created); ":memory:" for a throwaway state. */
  path: string;
  /** Clock for created-at times and rate limits, milliseconds since the epoch; default Date.now. */
  now?: () => number;
  /** How long deleteProject waits for the project's running turn to stop, milliseconds; default 5000. */
  turnStopTimeoutMs?: number;
}

export interface SqliteState extends State {
  /** The open database, for tests and tools that read it directly. */
  readonly database: DatabaseSync;
}

interface MessageRow {
  id: number;
  project_id: string;
  turn_id: string;
  role: "user" | "assistant";
  text: string;
  tool_calls: string;
  artifacts: string;
  created_at: string;
}
type UserRow = { id: string; name: string; created_at: string };
type ProjectRow = { id: string; owner_id: string; name: string; created_at: string };

const toUser = (row: UserRow): User => ({ id: row.id, name: row.name, createdAt: row.created_at });
const toProject = (row: ProjectRow): Project => ({ id: row.id, ownerId: row.owner_id, name: row.name, createdAt: row.created_at });
const toMessage = (row: MessageRow): ConversationMessage => ({
  id: row.id,
  projectId: row.project_id,
  turnId: row.turn_id,
  role: row.role,
  text: row.text,
  toolCalls: JSON.parse(row.tool_calls) as ToolCallRecord[],
  artifacts: JSON.parse(row.artifacts) as TurnArtifact[],
  createdAt: row.created_at,
});

/** How often expired rate-limit buckets are swept, milliseconds. */
const SWEEP_INTERVAL_MS = 60_000;

/** Opens (creating when missing) the SQLite state at `options.path` and brings its schema up to date. */
export function createSqliteState(options: SqliteStateOptions): SqliteState {
  const inMemory = options.path === ":memory:";
  const path = inMemory ? options.path : resolve(options.path);
  if (!inMemory) mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;");
  try {
    migrateSqlite(db, "state", SQLITE_MIGRATIONS);
  } catch (error) {
    db.close();
    throw error;
  }
  const clock = options.now ?? Date.now;
  const isoNow = () => new Date(clock()).toISOString();
  const turnStopTimeoutMs = options.turnStopTimeoutMs ?? 5000;
  // Every instance on this file in this process shares one lock table; an in-memory database is its own.
  const locks = inMemory ? createLocalTurnLocks() : localTurnLocksFor(realpathSync(path));
  const instance = {};
  let lastSweep = 0;

  const statements = {
    insertUser: db.prepare("INSERT INTO state_users (id, name, created_at) VALUES (?, ?, ?)"),
    userByName: db.prepare("SELECT id, name, created_at FROM state_users WHERE name = ?"),
    userById: db.prepare("SELECT id, name, created_at FROM state_users WHERE id = ?"),
    insertToken: db.prepare("INSERT INTO state_tokens (id, user_id, secret_sha256, created_at) VALUES (?, ?, ?, ?)"),
    tokenById: db.prepare("SELECT user_id, secret_sha256 FROM state_tokens WHERE id = ?"),
    insertProject: db.prepare("INSERT INTO state_projects (id, owner_id, name, created_at) VALUES (?, ?, ?, ?)"),
    projectsOf: db.prepare("SELECT id, owner_id, name, created_at FROM state_projects WHERE owner_id = ? ORDER BY created_at DESC, id"),
    projectOf: db.prepare("SELECT id, owner_id, name, created_at FROM state_projects WHERE owner_id = ? AND id = ?"),
    deleteProject: db.prepare("DELETE FROM state_projects WHERE id = ?"),
    deleteMessages: db.prepare("DELETE FROM state_messages WHERE project_id = ?"),
    deleteContext: db.prepare("DELETE FROM state_project_contexts WHERE project_id = ?"),
    secret: db.prepare("SELECT value FROM state_secrets WHERE name = ?"),
    insertSecret: db.prepare("INSERT OR IGNORE INTO state_secrets (name, value) VALUES (?, ?)"),
    insertMessage: db.prepare(
      "INSERT INTO state_messages (project_id, turn_id, role, text, tool_calls, artifacts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
    ),
    latestMessages: db.prepare("SELECT * FROM state_messages WHERE project_id = ? ORDER BY id DESC LIMIT ?"),
    messagesBefore: db.prepare("SELECT * FROM state_messages WHERE project_id = ? AND id < ? ORDER BY id DESC LIMIT ?"),
    selectContext: db.prepare("SELECT context FROM state_project_contexts WHERE project_id = ?"),
    upsertContext: db.prepare(
      `INSERT INTO state_project_contexts (project_id, context, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (project_id) DO UPDATE SET context = excluded.context, updated_at = excluded.updated_at`,
    ),
    // One statement refills the bucket for the time since its last use, takes a request when one
    // is there, and says whether it did; all SET expressions read the row as it was.
    takeToken: db.prepare(
      `INSERT INTO state_rate_limits (key, tokens, allowed, updated_at_ms, expires_at_ms)
       VALUES ($key, $capacity - 1, 1, $now, $expires)
       ON CONFLICT (key) DO UPDATE SET
         tokens = CASE
           WHEN min($capacity, tokens + max(0, $now - updated_at_ms) / 1000.0 * $rate) >= 1
           THEN min($capacity, tokens + max(0, $now - updated_at_ms) / 1000.0 * $rate) - 1
           ELSE min($capacity, tokens + max(0, $now - updated_at_ms) / 1000.0 * $rate) END,
         allowed = min($capacity, tokens + max(0, $now - updated_at_ms) / 1000.0 * $rate) >= 1,
         updated_at_ms = max(updated_at_ms, $now),
         expires_at_ms = $expires
       RETURNING tokens, allowed`,
    ),
    sweepRateLimits: db.prepare("DELETE FROM state_rate_limits WHERE expires_at_ms < ?"),
  };

  /** Runs `work` in a write transaction: all of it or none of it. */
  function transaction<T>(work: () => T): T {
    db.exec("BEGIN IMMEDIATE");
    try {
      const value = work();
      db.exec("COMMIT");
      return value;
    } catch (error) {
      if (db.isTransaction) db.exec("ROLLBACK");
      throw error;
    }
  }

  function addToken(userId: string): string {
    const issued = issueToken();
    statements.insertToken.run(issued.id, userId, issued.hash, isoNow());
    return issued.token;
  }

  const state: SqliteState = {
    database: db,

    async createUser(name) {
      const user: User = { id: userIdFor(), name, createdAt: isoNow() };
      try {
        return transaction(() => {
          statements.insertUser.run(user.id, user.name, user.createdAt);
          return { user, token: addToken(user.id) };
        });
      } catch (error) {
        if (/UNIQUE constraint failed: state_users\.name/.test((error as Error).message)) throw new UserExistsError(name);
        throw error;
      }
    },
    async issueToken(userId) {
      return addToken(userId);
    },
    async findUserByName(name) {
      const row = statements.userByName.get(name) as UserRow | undefined;
      return row ? toUser(row) : undefined;
    },
    async authenticate(token) {
      const parsed = parseToken(token);
      if (!parsed) return undefined;
      const row = statements.tokenById.get(parsed.id) as { user_id: string; secret_sha256: string } | undefined;
      const matches = secretMatches(parsed.secret, row?.secret_sha256 ?? DECOY_HASH);
      if (!row || !matches) return undefined;
      const user = statements.userById.get(row.user_id) as UserRow | undefined;
      return user ? toUser(user) : undefined;
    },

    async createProject(ownerId, name) {
      const project: Project = { id: projectIdFor(name), ownerId, name, createdAt: isoNow() };
      statements.insertProject.run(project.id, project.ownerId, project.name, project.createdAt);
      return project;
    },
    async listProjects(ownerId) {
      return (statements.projectsOf.all(ownerId) as ProjectRow[]).map(toProject);
    },
    async getProject(ownerId, projectId) {
      const row = statements.projectOf.get(ownerId, projectId) as ProjectRow | undefined;
      return row ? toProject(row) : undefined;
    },
    async deleteProject(projectId) {
      const done = await locks.whileLocked(projectId, instance, turnStopTimeoutMs, () =>
        transaction(() => {
          const existed = Number(statements.deleteProject.run(projectId).changes) > 0;
          statements.deleteMessages.run(projectId);
          statements.deleteContext.run(projectId);
          return existed;
        }),
      );
      if (!done) throw new TurnStillRunningError(projectId, turnStopTimeoutMs);
      return done.value;
    },

    async secret(name) {
      statements.insertSecret.run(name, randomBytes(32));
      const row = statements.secret.get(name) as { value: Uint8Array };
      return new Uint8Array(row.value);
    },

    async appendMessage(message) {
      const row = statements.insertMessage.get(
        message.projectId,
        message.turnId,
        message.role,
        message.text,
        JSON.stringify(message.toolCalls),
        JSON.stringify(message.artifacts),
        message.createdAt ?? isoNow(),
      ) as unknown as MessageRow;
      return toMessage(row);
    },
    async listMessages(projectId, options = {}) {
      const limit = Math.max(1, Math.min(options.limit ?? 1000, 10_000));
      const rows = (options.beforeId === undefined
        ? statements.latestMessages.all(projectId, limit)
        : statements.messagesBefore.all(projectId, options.beforeId, limit)) as unknown as MessageRow[];
      return rows.reverse().map(toMessage);
    },
    async getContext(projectId) {
      const row = statements.selectContext.get(projectId) as { context: string } | undefined;
      return readContext(row ? (JSON.parse(row.context) as Partial<ProjectContext>) : undefined);
    },
    async saveContext(projectId, context) {
      statements.upsertContext.run(projectId, JSON.stringify(trimContext(context)), isoNow());
    },

    async tryAcquireTurn(projectId, { holder }) {
      checkHolder(holder);
      if (!db.isOpen) throw new Error("The state is closed.");
      return locks.tryAcquire(projectId, holder, instance);
    },
    async requestCancel(projectId, reason = "Cancelled by the user.") {
      return locks.requestCancel(projectId, reason);
    },

    async takeRateLimit(key, limit) {
      checkRateLimit(key, limit);
      const now = clock();
      if (now - lastSweep > SWEEP_INTERVAL_MS) {
        lastSweep = now;
        statements.sweepRateLimits.run(now);
      }
      // Left alone this long, the bucket is full again: the row can go.
      const expires = now + Math.ceil((limit.capacity / limit.refillPerSecond) * 1000);
      const row = statements.takeToken.get({
        key,
        capacity: limit.capacity,
        rate: limit.refillPerSecond,
        now,
        expires,
      }) as { tokens: number; allowed: number };
      return row.allowed ? 0 : secondsUntilToken(row.tokens, limit);
    },

    async close() {
      locks.releaseAll(instance, "The state was closed while the turn ran.");
      if (db.isOpen) db.close();
    },
  };
  return state;
}
