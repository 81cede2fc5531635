// The embedded AgentStore: one SQLite file (Node's built-in node:sqlite, no native module) with
// versioned migrations. Other parts of the product (the gateway's users and projects) add their
// own migration sets to the same file through `migrate`, each under its own name.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { ToolCallRecord, TurnArtifact } from "../turn-records.ts";
import {
  type AgentStore,
  type ConversationMessage,
  emptyContext,
  MAX_CONTEXT_ARTIFACTS,
  type NewMessage,
  type ProjectContext,
} from "./conversation-store.ts";

/** One schema change; `version` counts up from 1 within its set. */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/** The agent's tables: messages of each project's conversation and each project's context. */
export const AGENT_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "conversations and project context",
    sql: `
      CREATE TABLE agent_messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        project_id TEXT NOT NULL,
        turn_id TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        text TEXT NOT NULL,
        tool_calls TEXT NOT NULL DEFAULT '[]',
        artifacts TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL
      );
      CREATE INDEX agent_messages_by_project ON agent_messages (project_id, id);
      CREATE TABLE agent_project_context (
        project_id TEXT PRIMARY KEY,
        context TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `,
  },
];

/**
 * Applies the migrations of set `name` that this database has not seen, each in a transaction,
 * recording them in `schema_migrations`. Safe to call on every start.
 */
export function migrate(database: DatabaseSync, name: string, migrations: readonly Migration[]): number[] {
  database.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    description TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (name, version)
  )`);
  const applied = new Set(
    (database.prepare("SELECT version FROM schema_migrations WHERE name = ?").all(name) as Array<{ version: number }>).map(
      (row) => row.version,
    ),
  );
  const done: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(migration.version)) continue;
    database.exec("BEGIN IMMEDIATE");
    try {
      database.exec(migration.sql);
      database
        .prepare("INSERT INTO schema_migrations (name, version, description, applied_at) VALUES (?, ?, ?, ?)")
        .run(name, migration.version, migration.description, new Date().toISOString());
      database.exec("COMMIT");
      done.push(migration.version);
    } catch (error) {
      database.exec("ROLLBACK");
      throw new Error(`Migration ${name} ${migration.version} (${migration.description}) failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  return done;
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

function toMessage(row: MessageRow): ConversationMessage {
  return {
    id: row.id,
    projectId: row.project_id,
    turnId: row.turn_id,
    role: row.role,
    text: row.text,
    toolCalls: JSON.parse(row.tool_calls) as ToolCallRecord[],
    artifacts: JSON.parse(row.artifacts) as TurnArtifact[],
    createdAt: row.created_at,
  };
}

export interface SqliteStore extends AgentStore {
  /** The open database, for other parts of the product that keep their tables in the same file. */
  readonly database: DatabaseSync;
}

/**
 * Opens (creating when missing) the SQLite file at `path` (":memory:" for a throwaway store) and
 * brings the agent's tables up to date.
 */
export function createSqliteStore(path: string): SqliteStore {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const database = new DatabaseSync(path);
  database.exec("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;");
  migrate(database, "agent", AGENT_MIGRATIONS);

  const insertMessage = database.prepare(
    "INSERT INTO agent_messages (project_id, turn_id, role, text, tool_calls, artifacts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
  );
  const selectContext = database.prepare("SELECT context FROM agent_project_context WHERE project_id = ?");
  const upsertContext = database.prepare(
    `INSERT INTO agent_project_context (project_id, context, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (project_id) DO UPDATE SET context = excluded.context, updated_at = excluded.updated_at`,
  );

  const store: SqliteStore = {
    database,
    async appendMessage(message: NewMessage) {
      const row = insertMessage.get(
        message.projectId,
        message.turnId,
        message.role,
        message.text,
        JSON.stringify(message.toolCalls),
        JSON.stringify(message.artifacts),
        message.createdAt ?? new Date().toISOString(),
      ) as unknown as MessageRow;
      return toMessage(row);
    },
    async listMessages(projectId, options = {}) {
      const limit = Math.max(1, Math.min(options.limit ?? 1000, 10_000));
      const rows = (options.beforeId === undefined
        ? database.prepare("SELECT * FROM agent_messages WHERE project_id = ? ORDER BY id DESC LIMIT ?").all(projectId, limit)
        : database
            .prepare("SELECT * FROM agent_messages WHERE project_id = ? AND id < ? ORDER BY id DESC LIMIT ?")
            .all(projectId, options.beforeId, limit)) as unknown as MessageRow[];
      return rows.reverse().map(toMessage);
    },
    async getContext(projectId) {
      const row = selectContext.get(projectId) as { context: string } | undefined;
      if (!row) return emptyContext();
      return { ...emptyContext(), ...(JSON.parse(row.context) as Partial<ProjectContext>) };
    },
    async saveContext(projectId, context) {
      const trimmed: ProjectContext = { ...context, artifacts: context.artifacts.slice(-MAX_CONTEXT_ARTIFACTS) };
      upsertContext.run(projectId, JSON.stringify(trimmed), new Date().toISOString());
    },
    async deleteProject(projectId) {
      database.exec("BEGIN IMMEDIATE");
      try {
        database.prepare("DELETE FROM agent_messages WHERE project_id = ?").run(projectId);
        database.prepare("DELETE FROM agent_project_context WHERE project_id = ?").run(projectId);
        database.exec("COMMIT");
      } catch (error) {
        database.exec("ROLLBACK");
        throw error;
      }
    },
    async close() {
      if (database.isOpen) database.close();
    },
  };
  return store;
}
