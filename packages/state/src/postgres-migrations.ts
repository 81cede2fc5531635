// The PostgreSQL state's schema, as numbered migrations recorded in `schema_migrations` under the
// set name "state" (the table is shared with other parts of the product, each under its own
// name). Replicas migrate on start: an advisory lock serializes them, so when two start at once
// one applies the migrations and the other finds them done. Each migration runs in its own
// transaction, so a failed one leaves the schema as it was.
import { Client, type ClientConfig } from "pg";
import { toStateError } from "./postgres-failures.ts";

export interface PostgresMigration {
  version: number;
  description: string;
  sql: string;
}

export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    description: "users, hashed tokens, projects, secrets, conversations, project context, turn leases and rate-limit buckets",
    sql: `
      CREATE TABLE state_users (
        id text PRIMARY KEY,
        name text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL
      );
      CREATE TABLE state_tokens (
        id text PRIMARY KEY,
        user_id text NOT NULL REFERENCES state_users (id) ON DELETE CASCADE,
        secret_sha256 text NOT NULL,
        created_at timestamptz NOT NULL
      );
      CREATE INDEX state_tokens_user ON state_tokens (user_id);
      CREATE TABLE state_projects (
        id text PRIMARY KEY,
        owner_id text NOT NULL REFERENCES state_users (id) ON DELETE CASCADE,
        name text NOT NULL,
        created_at timestamptz NOT NULL
      );
      -- A user's project list is one index range scan, in the order it is shown.
      CREATE INDEX state_projects_owner ON state_projects (owner_id, created_at DESC, id);
      CREATE TABLE state_secrets (
        name text PRIMARY KEY,
        value bytea NOT NULL
      );
      -- json, not jsonb: tool arguments and results come back exactly as written (key order too).
      CREATE TABLE state_messages (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        project_id text NOT NULL,
        turn_id text NOT NULL,
        role text NOT NULL CHECK (role IN ('user', 'assistant')),
        text text NOT NULL,
        tool_calls json NOT NULL,
        artifacts json NOT NULL,
        created_at timestamptz NOT NULL
      );
      CREATE INDEX state_messages_by_project ON state_messages (project_id, id);
      CREATE TABLE state_project_contexts (
        project_id text PRIMARY KEY,
        context json NOT NULL,
        updated_at timestamptz NOT NULL
      );
      -- Who holds each project's turn lock (the lock itself is an advisory lock on the holder's
      -- connection); a row whose lock is no longer held is stale and is overwritten by the next turn.
      CREATE TABLE state_turns (
        project_id text PRIMARY KEY,
        lease_id text NOT NULL,
        holder text NOT NULL,
        started_at timestamptz NOT NULL,
        cancel_requested_at timestamptz,
        cancel_reason text
      );
      CREATE TABLE state_rate_limits (
        key text PRIMARY KEY,
        tokens double precision NOT NULL,
        allowed boolean NOT NULL,
        updated_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      );
      CREATE INDEX state_rate_limits_expiry ON state_rate_limits (expires_at);
    `,
  },
];

/** The advisory lock (two-key form: "bod", "migrate") held while migrating. */
const MIGRATION_LOCK = "SELECT pg_advisory_lock(6451044, 1835100007)";
const MIGRATION_UNLOCK = "SELECT pg_advisory_unlock(6451044, 1835100007)";

/**
 * Applies the migrations of set `name` that the database has not seen, under the migration lock,
 * each in a transaction. Returns the versions applied. `timeoutMs` bounds the whole run
 * (waiting for another replica's migration included).
 */
export async function migratePostgres(
  config: ClientConfig,
  name: string,
  migrations: readonly PostgresMigration[],
  timeoutMs: number,
): Promise<number[]> {
  const client = new Client({ ...config, statement_timeout: timeoutMs, query_timeout: timeoutMs, lock_timeout: timeoutMs });
  // A dropped connection is reported through the failing query; this keeps it from crashing the process.
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (error) {
    throw toStateError(error, timeoutMs);
  }
  const done: number[] = [];
  let failed = false;
  try {
    await client.query(MIGRATION_LOCK);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text NOT NULL,
      version integer NOT NULL,
      description text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (name, version)
    )`);
    const applied = new Set(
      (await client.query<{ version: number }>("SELECT version FROM schema_migrations WHERE name = $1", [name])).rows.map(
        (row) => row.version,
      ),
    );
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      await client.query("BEGIN");
      try {
        await client.query(migration.sql);
        await client.query("INSERT INTO schema_migrations (name, version, description) VALUES ($1, $2, $3)", [
          name,
          migration.version,
          migration.description,
        ]);
        await client.query("COMMIT");
        done.push(migration.version);
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        const failure = toStateError(error, timeoutMs);
        if (failure !== error) throw failure;
        throw new Error(`Migration ${name} ${migration.version} (${migration.description}) failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    await client.query(MIGRATION_UNLOCK);
    return done;
  } catch (error) {
    failed = true;
    throw toStateError(error, timeoutMs);
  } finally {
    // Ending the session also drops the migration lock if unlocking did not happen; a connection
    // that failed may never answer a goodbye, so it is cut instead.
    if (failed) client.connection.stream.destroy();
    else await client.end().catch(() => {});
  }
}
