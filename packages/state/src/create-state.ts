// The one place that turns "where does state live" into a State: a postgres:// URL is the shared
// PostgreSQL state of a scale-out deployment; anything else is the SQLite file in the data dir.
// Each implementation is loaded only when chosen, so SQLite users never load `pg`.
import { join } from "node:path";
import type { State } from "./state.ts";

export interface CreateStateOptions {
  /** `postgres://USER@HOST:PORT/DB` (or postgresql://), password in PGPASSWORD; undefined or empty for SQLite. */
  url?: string | undefined;
  /** The data dir: SQLite lives at `<dataDir>/bod.sqlite`. Needed when `url` is not PostgreSQL. */
  dataDir?: string;
  /** PostgreSQL: deadline of each call, milliseconds (default 5000). */
  timeoutMs?: number;
  /** PostgreSQL: names this instance's connections in pg_stat_activity. */
  tag?: string;
}

/** Whether `url` names a PostgreSQL state. */
export function isPostgresUrl(url: string | undefined): url is string {
  return url !== undefined && /^postgres(?:ql)?:\/\//i.test(url);
}

/**
 * Opens the state `options` point at: PostgreSQL for a postgres:// URL (migrated on the way),
 * else SQLite at `<dataDir>/bod.sqlite`. Throws StateUnavailableError when PostgreSQL cannot be reached.
 */
export async function createState(options: CreateStateOptions): Promise<State> {
  if (isPostgresUrl(options.url)) {
    const { createPostgresState } = await import("./postgres-state.ts");
    return createPostgresState({
      url: options.url,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.tag === undefined ? {} : { tag: options.tag }),
    });
  }
  if (options.url) throw new Error(`Unsupported state URL: expected postgres://USER@HOST:PORT/DB, or none for SQLite in the data dir.`);
  if (!options.dataDir) throw new Error("The SQLite state needs a data dir (it lives at <data dir>/bod.sqlite).");
  const { createSqliteState } = await import("./sqlite-state.ts");
  return createSqliteState({ path: join(options.dataDir, "bod.sqlite") });
}
