// The SQLite state's schema, as numbered migrations applied once each, in a transaction, and
// recorded in `schema_migrations` under the set name "state". Earlier versions kept the same data
// as two sets ("agent": agent_messages, agent_project_context; "gateway": gateway_users, …);
// migration 1 adopts those tables by renaming them, so an existing bod.sqlite keeps its users,
// projects and conversations (message ids included, which paging relies on).
import type { DatabaseSync } from "node:sqlite";

/** One schema change; `version` counts up from 1 within its set. */
export interface SqliteMigration {
  version: number;
  description: string;
  apply(database: DatabaseSync): void;
}

/** Tables of this schema, with the name each had before (if any) and how to create it fresh. */
const TABLES: ReadonlyArray<{ name: string; formerly?: string; create: string }> = [
  {
    name: "state_users",
    formerly: "gateway_users",
    create: `CREATE TABLE state_users (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      created_at TEXT NOT NULL
    )`,
  },
  {
    name: "state_tokens",
    formerly: "gateway_tokens",
    create: `CREATE TABLE state_tokens (
      id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL REFERENCES state_users(id) ON DELETE CASCADE,
      secret_sha256 TEXT NOT NULL,
      created_at TEXT NOT NULL
    )`,
  },
  {
    name: "state_projects",
    formerly: "gateway_projects",
    create: `CREATE TABLE state_projects (
      id TEXT PRIMARY KEY,
      owner_id TEXT NOT NULL REFERENCES state_users(id) ON DELETE CASCADE,
      name TEXT NOT NULL,
      created_at TEXT NOT NULL
    )`,
  },
  {
    name: "state_secrets",
    formerly: "gateway_secrets",
    create: `CREATE TABLE state_secrets (
      name TEXT PRIMARY KEY,
      value BLOB NOT NULL
    )`,
  },
  {
    name: "state_messages",
    formerly: "agent_messages",
    create: `CREATE TABLE state_messages (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      project_id TEXT NOT NULL,
      turn_id TEXT NOT NULL,
      role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
      text TEXT NOT NULL,
      tool_calls TEXT NOT NULL DEFAULT '[]',
      artifacts TEXT NOT NULL DEFAULT '[]',
      created_at TEXT NOT NULL
    )`,
  },
  {
    name: "state_project_contexts",
    formerly: "agent_project_context",
    create: `CREATE TABLE state_project_contexts (
      project_id TEXT PRIMARY KEY,
      context TEXT NOT NULL,
      updated_at TEXT NOT NULL
    )`,
  },
];

export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: "users, hashed tokens, projects, secrets, conversations and project context (adopting the agent's and gateway's tables)",
    apply(database) {
      const exists = database.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
      for (const table of TABLES) {
        if (exists.get(table.name)) continue;
        // Renaming also rewrites the foreign keys that point at the table (legacy_alter_table is off).
        if (table.formerly && exists.get(table.formerly)) database.exec(`ALTER TABLE ${table.formerly} RENAME TO ${table.name}`);
        else database.exec(table.create);
      }
      database.exec(`
        DROP INDEX IF EXISTS gateway_projects_owner;
        DROP INDEX IF EXISTS agent_messages_by_project;
        CREATE INDEX state_projects_owner ON state_projects (owner_id, created_at);
        CREATE INDEX state_tokens_user ON state_tokens (user_id);
        CREATE INDEX state_messages_by_project ON state_messages (project_id, id);
      `);
    },
  },
  {
    version: 2,
    description: "rate-limit buckets shared by every instance on the file",
    apply(database) {
      database.exec(`
        CREATE TABLE state_rate_limits (
          key TEXT PRIMARY KEY,
          tokens REAL NOT NULL,
          allowed INTEGER NOT NULL,
          updated_at_ms INTEGER NOT NULL,
          expires_at_ms INTEGER NOT NULL
        );
        CREATE INDEX state_rate_limits_expiry ON state_rate_limits (expires_at_ms);
      `);
    },
  },
];

/**
 * Applies the migrations of set `name` that this database has not seen, each in a transaction,
 * recording them in `schema_migrations`. Safe on every start; returns the versions applied.
 */
export function migrateSqlite(database: DatabaseSync, name: string, migrations: readonly SqliteMigration[]): number[] {
  database.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    description TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (name, version)
  )`);
  const done: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    // BEGIN IMMEDIATE takes the write lock first, so two processes opening the file at once
    // cannot both apply a migration: the second sees the first one's row once it gets the lock.
    database.exec("BEGIN IMMEDIATE");
    try {
      const applied = database.prepare("SELECT 1 FROM schema_migrations WHERE name = ? AND version = ?").get(name, migration.version);
      if (applied) {
        database.exec("COMMIT");
        continue;
      }
      migration.apply(database);
      database
        .prepare("INSERT INTO schema_migrations (name, version, description, applied_at) VALUES (?, ?, ?, ?)")
        .run(name, migration.version, migration.description, new Date().toISOString());
      database.exec("COMMIT");
      done.push(migration.version);
    } catch (error) {
      if (database.isTransaction) database.exec("ROLLBACK");
      throw new Error(`Migration ${name} ${migration.version} (${migration.description}) failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  return done;
}
