// The scale-out SceneStore: the journal in PostgreSQL (a line is committed before its change is
// acknowledged) and the snapshot and kept files in S3, so a project's worker can restore the
// scene wherever it starts. Each half has its deadline (see postgres-scene-journal.ts and
// s3-scene-objects.ts); past it a call fails with SceneStoreUnavailableError and leaves nothing
// half-written.

import { createPostgresSceneJournal } from "./postgres-scene-journal.ts";
import type { S3Location } from "./s3-location.ts";
import { createS3SceneObjects } from "./s3-scene-objects.ts";
import { checkProjectId, type ProjectScene, type SceneStore } from "./scene-store.ts";

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

  return {
    async open(projectId): Promise<ProjectScene> {
      checkProjectId(projectId);
      await journal.ready();
      const lines = journal.project(projectId);
      const files = objects.project(projectId);
      let closed = false;
      const whileOpen = async <T>(task: () => Promise<T>): Promise<T> => {
        if (closed) throw new Error(`The scene of project ${projectId} is closed.`);
        return task();
      };
      return {
        projectId,
        appendJournal: (line) => whileOpen(() => lines.append(line)),
        readJournal: () => whileOpen(() => lines.read()),
        truncateJournal: (uptoSeq) => whileOpen(() => lines.truncate(uptoSeq)),
        readSnapshot: (localPath) => whileOpen(() => files.readSnapshot(localPath)),
        writeSnapshot: (localPath) => whileOpen(() => files.writeSnapshot(localPath)),
        putFile: (name, localPath) => whileOpen(() => files.putFile(name, localPath)),
        getFile: (name, localPath) => whileOpen(() => files.getFile(name, localPath)),
        deleteFiles: () => whileOpen(() => files.deleteFiles()),
        async close() {
          closed = true;
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
      objects.close();
      await journal.close();
    },
  };
}
