// The journal half of the scale-out scene store: one PostgreSQL row per journal line. An append is
// one INSERT, committed (synchronous_commit, the server's WAL flushed) before it resolves, sent as a
// prepared statement on a connection the pool keeps open: one round trip, no transaction around it.
// Every operation has one deadline, from the call to the answer; past it the call fails with
// SceneStoreUnavailableError and, if it had not started yet, never runs.
import pg from "pg";
import { checkProjectId, checkSeq, isJournalLine, type JournalLine, journalLineText } from "./scene-store.ts";
import { SceneStoreUnavailableError } from "./scene-store-unavailable-error.ts";
import { SceneSupersededError } from "./scene-superseded-error.ts";

export interface PostgresSceneJournalOptions {
  /** `postgres://USER@HOST:PORT/DATABASE`; the password from the URL or PGPASSWORD. */
  postgresUrl: string;
  /** Deadline of each operation, connecting included, in milliseconds. Default 5 000. */
  timeoutMs?: number;
  /** Connections the pool may open. Default 3; one is kept open while idle. */
  maxConnections?: number;
  /** Told about failures outside any call (a kept connection the server dropped). */
  onError?: (error: Error) => void;
}

/**
 * A project's journal rows, as written by the owner that claimed `epoch`. Every write checks, in
 * the same statement, that the claim still stands, and fails with SceneSupersededError once a
 * newer owner (another worker) claimed the project.
 */
export interface PostgresProjectJournal {
  readonly epoch: number;
  append(line: JournalLine): Promise<void>;
  read(): Promise<JournalLine[]>;
  truncate(uptoSeq: number): Promise<void>;
  /** Fails with SceneSupersededError unless the claim still stands (before writing objects elsewhere). */
  checkOwner(): Promise<void>;
}

export interface PostgresSceneJournal {
  /** Applies the schema's migrations, once per instance (again after a failure). */
  ready(): Promise<void>;
  /**
   * Claims the project for this owner (the newest claim wins, `epoch` counts them) and announces
   * it on NOTIFY channel SCENE_OWNER_CHANNEL as "<projectId> <epoch>".
   */
  claim(projectId: string): Promise<PostgresProjectJournal>;
  deleteProject(projectId: string): Promise<void>;
  close(): Promise<void>;
}

/** The NOTIFY channel on which claims and deletions are announced ("<projectId> <epoch>" or "<projectId> deleted"). */
export const SCENE_OWNER_CHANNEL = "bod_scene_owner";

/**
 * The schema, one statement per version. `scene_journal_schema_version` holds the versions
 * applied; migrations run under an advisory lock, so workers starting together apply each once.
 */
const MIGRATIONS: readonly string[] = [
  // 1: a project's lines in the order appended (`id`); `seq` for truncation.
  `create table scene_journal (
     project_id text not null,
     id bigint generated always as identity,
     seq bigint not null,
     body jsonb not null,
     primary key (project_id, id)
   )`,
  // 2: who owns a project's scene now: the newest worker to open it. Writes name their epoch.
  `create table scene_owner (
     project_id text primary key,
     epoch bigint not null
   )`,
];

/** pg_advisory_xact_lock key that serializes the journal's migrations ("bodscene" in ASCII). */
const MIGRATION_LOCK = "7165064512390733413";

// One statement each, so fencing costs no round trip: the write happens only while the claim stands.
const CLAIM = `with claimed as (
    insert into scene_owner (project_id, epoch) values ($1, 1)
    on conflict (project_id) do update set epoch = scene_owner.epoch + 1
    returning epoch)
  select epoch::text as epoch, pg_notify('${SCENE_OWNER_CHANNEL}', $1 || ' ' || epoch) from claimed`;
const APPEND = `insert into scene_journal (project_id, seq, body)
  select $1, $2, $3 from scene_owner where project_id = $1 and epoch = $4`;
const READ = "select body from scene_journal where project_id = $1 order by id";
const TRUNCATE = `with owner as (select 1 from scene_owner where project_id = $1 and epoch = $3),
  gone as (delete from scene_journal where project_id = $1 and seq <= $2 and exists (select 1 from owner))
  select exists (select 1 from owner) as owned`;
const CHECK_OWNER = "select exists (select 1 from scene_owner where project_id = $1 and epoch = $2) as owned";
const DELETE_PROJECT = `with journal as (delete from scene_journal where project_id = $1),
  owner as (delete from scene_owner where project_id = $1)
  select pg_notify('${SCENE_OWNER_CHANNEL}', $1 || ' deleted')`;

const DEFAULT_TIMEOUT_MS = 5_000;

/** Checks a PostgreSQL URL; throws a TypeError naming the form allowed. */
export function checkPostgresUrl(text: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "postgres:" && url.protocol !== "postgresql:") || !url.hostname || url.pathname.length < 2)
    throw new TypeError("The scene journal's database must be a postgres://USER@HOST:PORT/DATABASE URL.");
  return url;
}

export function createPostgresSceneJournal(options: PostgresSceneJournalOptions): PostgresSceneJournal {
  const url = checkPostgresUrl(options.postgresUrl);
  const server = `PostgreSQL at ${url.host}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
    throw new TypeError(`timeoutMs must be a positive number of milliseconds, not ${timeoutMs}.`);
  const pool = new pg.Pool({
    connectionString: options.postgresUrl,
    max: options.maxConnections ?? 3,
    // One connection stays open, so an append after a quiet spell pays no connect and no login.
    min: 1,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: timeoutMs,
    // Client-side: a server that stops answering (paused, cut off) fails the query, and the pool
    // drops its connection rather than queue the next query behind it.
    query_timeout: timeoutMs,
    // Server-side: a statement stuck on a lock ends there too.
    statement_timeout: timeoutMs,
    keepAlive: true,
    application_name: "bod-scene-journal",
  });
  pool.on("error", (error) => options.onError?.(error));

  let migrated: Promise<void> | undefined;
  let closing: Promise<void> | undefined;

  /**
   * Runs `task` with a deadline from now. Past it the call fails; a task that has not started by
   * then never starts, and one under way has its connection dropped by the pool's own timeouts.
   */
  function withDeadline<T>(operation: string, task: () => Promise<T>, queued?: Promise<unknown>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    let expired = false;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        expired = true;
        reject(new SceneStoreUnavailableError("postgresql", operation, `${server} did not answer within ${timeoutMs} ms.`));
      }, timeoutMs);
    });
    const run = (queued ?? Promise.resolve()).then(() => {
      if (expired) throw new Error("expired before it started");
      return task();
    });
    return Promise.race([run, deadline])
      .catch((error: unknown) => {
        throw SceneStoreUnavailableError.is(error) || error instanceof SceneSupersededError ? error : unavailable(operation, error);
      })
      .finally(() => clearTimeout(timer));
  }

  function unavailable(operation: string, error: unknown): SceneStoreUnavailableError {
    const code = (error as { code?: string }).code;
    const message = (error as Error).message || String(error);
    const detail =
      code === "ECONNREFUSED"
        ? `${server} refused the connection.`
        : /timeout/i.test(message)
          ? `${server} did not answer within ${timeoutMs} ms.`
          : `${server}: ${message}`;
    return new SceneStoreUnavailableError("postgresql", operation, detail, { cause: error });
  }

  async function migrate(): Promise<void> {
    const client = await pool.connect();
    try {
      await client.query("begin");
      await client.query("select pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
      await client.query(
        "create table if not exists scene_journal_schema_version (version integer primary key, applied_at timestamptz not null default now())",
      );
      const { rows } = await client.query<{ version: number }>(
        "select coalesce(max(version), 0)::integer as version from scene_journal_schema_version",
      );
      // A newer build may have applied more; its additions leave what this one uses in place.
      for (let version = rows[0]?.version ?? 0; version < MIGRATIONS.length; version++) {
        await client.query(MIGRATIONS[version] as string);
        await client.query("insert into scene_journal_schema_version (version) values ($1)", [version + 1]);
      }
      await client.query("commit");
      client.release();
    } catch (error) {
      await client.query("rollback").catch(() => undefined);
      client.release(error as Error);
      throw error;
    }
  }

  return {
    ready() {
      migrated ??= withDeadline("prepare the journal's tables", migrate).catch((error: unknown) => {
        migrated = undefined;
        throw error;
      });
      return migrated;
    },
    async claim(projectId) {
      checkProjectId(projectId);
      const { rows } = await withDeadline("claim the project's scene", () =>
        pool.query<{ epoch: string }>({ name: "scene-owner-claim", text: CLAIM, values: [projectId] }),
      );
      const epoch = Number(rows[0]?.epoch);
      const superseded = () => new SceneSupersededError(projectId);
      // One operation at a time per project, in call order: appends land in the order asked for
      // (a pool would otherwise send two on two connections), truncation never races them.
      let queue: Promise<unknown> = Promise.resolve();
      const serial = <T>(operation: string, task: () => Promise<T>): Promise<T> => {
        const run = withDeadline(operation, task, queue);
        queue = run.catch(() => undefined);
        return run;
      };
      return {
        epoch,
        append(line) {
          const text = journalLineText(line);
          return serial("append a journal line", async () => {
            const { rowCount } = await pool.query({
              name: "scene-journal-append",
              text: APPEND,
              values: [projectId, line.seq, text, epoch],
            });
            if (rowCount === 0) throw superseded();
          });
        },
        checkOwner() {
          return serial("check who owns the scene", async () => {
            const { rows } = await pool.query<{ owned: boolean }>({
              name: "scene-owner-check",
              text: CHECK_OWNER,
              values: [projectId, epoch],
            });
            if (!rows[0]?.owned) throw superseded();
          });
        },
        read() {
          return serial("read the journal", async () => {
            const { rows } = await pool.query<{ body: unknown }>({ name: "scene-journal-read", text: READ, values: [projectId] });
            return rows.map((row) => row.body).filter(isJournalLine);
          });
        },
        truncate(uptoSeq) {
          checkSeq(uptoSeq, "uptoSeq");
          return serial("truncate the journal", async () => {
            const { rows } = await pool.query<{ owned: boolean }>({
              name: "scene-journal-truncate",
              text: TRUNCATE,
              values: [projectId, uptoSeq, epoch],
            });
            if (!rows[0]?.owned) throw superseded();
          });
        },
      };
    },
    async deleteProject(projectId) {
      checkProjectId(projectId);
      await withDeadline("delete a project's journal", async () => {
        await pool.query(DELETE_PROJECT, [projectId]);
      });
    },
    close() {
      closing ??= (async () => {
        // A connection to a server that stopped answering may never finish closing; give up waiting.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([pool.end(), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
        clearTimeout(timer);
      })();
      return closing;
    },
  };
}
