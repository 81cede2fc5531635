// The scale-out SceneStore: the journal in PostgreSQL (a line is committed before its change is
// acknowledged) and the snapshot and kept files in S3, so a project's worker can restore the
// scene wherever it starts. Each half has its deadline (see postgres-scene-journal.ts and
// s3-scene-objects.ts); past it a call fails with SceneStoreUnavailableError and leaves nothing
// half-written.
//
// One owner at a time: opening a project's scene claims it (the newest opener wins) and the claim
// is announced with NOTIFY. A handle opened earlier learns it was superseded from the announcement
// (within milliseconds, on a LISTEN connection), and every journal write it still attempts is
// refused in the same statement that would have written it, so two workers never interleave one
// journal even when a notification is late. Snapshot and file writes check the claim first.
import pg from "pg";
import { createPostgresSceneJournal, SCENE_OWNER_CHANNEL } from "./postgres-scene-journal.ts";
import type { S3Location } from "./s3-location.ts";
import { createS3SceneObjects } from "./s3-scene-objects.ts";
import { checkProjectId, type ProjectScene, type SceneStore } from "./scene-store.ts";
import { SceneSupersededError } from "./scene-superseded-error.ts";

export interface PostgresS3SceneStoreOptions {
  /** The journal's database: `postgres://USER@HOST:PORT/DATABASE` (password from PGPASSWORD or the URL). */
  postgresUrl: string;
  /** Where snapshots and kept files go: an `s3://BUCKET[/PREFIX]?endpoint=...` URL or a parsed location. */
  s3: string | S3Location;
  /**
   * Deadline in milliseconds: each journal operation (connecting included) answers within it, and
   * an S3 request that makes no progress for this long fails (then one retry). Default 5 000.
   */
  timeoutMs?: number;
  /** PostgreSQL connections the store may open. Default 3; one is kept open while idle. */
  maxConnections?: number;
  /** Told about failures outside any call (a kept connection the server dropped). */
  onError?: (error: Error) => void;
}

/** Creates the store; the journal's tables are created or migrated when the first project is opened. */
export function createPostgresS3SceneStore(options: PostgresS3SceneStoreOptions): SceneStore {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const journal = createPostgresSceneJournal({
    postgresUrl: options.postgresUrl,
    timeoutMs,
    ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const objects = createS3SceneObjects({ s3: options.s3, timeoutMs });

  /** Open handles by project, each with the epoch it claimed, told when a newer claim lands. */
  const handles = new Map<string, Set<{ epoch: number; supersede(): void; deleted(): void }>>();
  let listener: Promise<pg.Client> | undefined;
  let closing = false;

  /** The LISTEN connection, opened at the first open() and again after it drops. */
  function listen(): Promise<pg.Client> {
    listener ??= (async () => {
      const client = new pg.Client({ connectionString: options.postgresUrl, connectionTimeoutMillis: timeoutMs, keepAlive: true });
      const dropped = (error?: Error) => {
        listener = undefined;
        client.removeAllListeners();
        client.on("error", () => undefined);
        void client.end().catch(() => undefined);
        if (closing) return;
        if (error) options.onError?.(error);
        // Claims announced while nobody listened are not lost on the handles: each one that is
        // still open checks its claim again once the connection is back.
        setTimeout(() => void listen().then(recheckAll, () => undefined), 1_000).unref();
      };
      client.on("notification", (message) => {
        const [projectId, epoch] = (message.payload ?? "").split(" ");
        for (const handle of handles.get(projectId ?? "") ?? []) {
          if (epoch === "deleted") handle.deleted();
          else if (String(handle.epoch) !== epoch) handle.supersede();
        }
      });
      client.on("error", dropped);
      client.on("end", () => dropped());
      await client.connect();
      await client.query(`listen ${SCENE_OWNER_CHANNEL}`);
      return client;
    })();
    listener.catch(() => {
      listener = undefined;
    });
    return listener;
  }

  const rechecks = new Set<() => Promise<void>>();
  async function recheckAll() {
    for (const recheck of rechecks) await recheck().catch(() => undefined);
  }

  return {
    shared: true,
    async open(projectId, openOptions = {}): Promise<ProjectScene> {
      checkProjectId(projectId);
      await journal.ready();
      // Listening starts before the claim, so no later claim goes unheard.
      await listen().catch((error: Error) => options.onError?.(error));
      const lines = await journal.claim(projectId);
      const files = objects.project(projectId);
      let closed = false;
      let superseded = false;
      const entry = {
        epoch: lines.epoch,
        supersede() {
          superseded = true;
        },
        deleted() {
          superseded = true;
          if (closed) return;
          closed = true;
          openOptions.onDeleted?.();
        },
      };
      const recheck = () =>
        lines.checkOwner().catch((error: unknown) => {
          if (SceneSupersededError.is(error)) superseded = true;
        });
      const open = handles.get(projectId) ?? new Set();
      handles.set(projectId, open);
      open.add(entry);
      rechecks.add(recheck);
      const whileOpen = async <T>(task: () => Promise<T>): Promise<T> => {
        if (closed) throw new Error(`The scene of project ${projectId} is closed.`);
        try {
          return await task();
        } catch (error) {
          if (SceneSupersededError.is(error)) superseded = true;
          throw error;
        }
      };
      /** Object writes go only where the claim still stands (the journal's own writes check it in-statement). */
      const owned = async <T>(task: () => Promise<T>): Promise<T> =>
        whileOpen(async () => {
          await lines.checkOwner();
          return task();
        });
      return {
        projectId,
        get superseded() {
          return superseded;
        },
        appendJournal: (line) => whileOpen(() => lines.append(line)),
        readJournal: () => whileOpen(() => lines.read()),
        truncateJournal: (uptoSeq) => whileOpen(() => lines.truncate(uptoSeq)),
        readSnapshot: (localPath) => whileOpen(() => files.readSnapshot(localPath)),
        writeSnapshot: (localPath) => owned(() => files.writeSnapshot(localPath)),
        putFile: (name, localPath) => owned(() => files.putFile(name, localPath)),
        getFile: (name, localPath) => whileOpen(() => files.getFile(name, localPath)),
        deleteFiles: () => owned(() => files.deleteFiles()),
        async close() {
          closed = true;
          open.delete(entry);
          if (open.size === 0) handles.delete(projectId);
          rechecks.delete(recheck);
        },
      };
    },
    async deleteProject(projectId) {
      checkProjectId(projectId);
      // The journal first: a failure between the two leaves at most the snapshot, which the next
      // deleteProject removes.
      await journal.deleteProject(projectId);
      await objects.deleteProject(projectId);
    },
    async close() {
      closing = true;
      const client = await listener?.catch(() => undefined);
      await client?.end().catch(() => undefined);
      objects.close();
      await journal.close();
    },
  };
}
