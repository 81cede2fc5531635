// A real PostgreSQL server on loopback for tests: a fresh cluster in a temporary folder, trust
// authentication from 127.0.0.1, fsync on as in production. PostgreSQL refuses to run as root, so a
// root test process runs it as the `postgres` system account.
import { execFile } from "node:child_process";
import { chown, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort } from "./free-port.ts";
import { postgresBinDirectory, systemAccount } from "./server-binaries.ts";
import { spawnServer, startManagedServer, waitUntilReady } from "./server-process.ts";

const run = promisify(execFile);

export interface PostgresServerOptions {
  /** TCP port on 127.0.0.1; default a free one. restart() keeps it. */
  port?: number;
  /** Largest number of connections at once. Default 300. */
  maxConnections?: number;
}

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`: the superuser, no password (trust on loopback). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The cluster's data folder (owned by `postgres` when the tests run as root). */
  readonly dataDirectory: string;
  /** The postmaster's process id (a new one after restart()). */
  readonly pid: number;
  /** Fast shutdown: ends every session, checkpoints and exits. The data stays; restart() brings it back. */
  stop(): Promise<void>;
  /** SIGKILLs the server and all its backends at once, as a crash would; restart() recovers from the WAL. */
  kill(): Promise<void>;
  /** Stops the server when it runs, then starts it again on the same port and data and waits until it answers. */
  restart(): Promise<void>;
  /** Stops the server and deletes its folder. */
  destroy(): Promise<void>;
}

/** The account the server runs as: `postgres` when the tests run as root, else the current user. */
function serverAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const account = systemAccount("postgres");
  if (!account)
    throw new Error("PostgreSQL refuses to run as root and there is no `postgres` account; install Debian's postgresql package.");
  return account;
}

/** Initialises a cluster in a new temporary folder and starts a server on it; resolves once it accepts queries. */
export async function startPostgres(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const bin = postgresBinDirectory();
  const account = serverAccount();
  const root = await mkdtemp(join(tmpdir(), "bod-postgres-"));
  const dataDirectory = join(root, "data");
  const socketDirectory = join(root, "socket");
  try {
    await mkdir(socketDirectory);
    if (account) {
      await chown(root, account.uid, account.gid);
      await chown(socketDirectory, account.uid, account.gid);
    }
    // --no-sync: the cluster is new and thrown away, so its creation need not reach the disk; the
    // server itself runs with fsync on.
    await run(
      join(bin, "initdb"),
      ["-D", dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
      { ...(account ?? {}), env: { ...process.env, LC_ALL: "C" } },
    ).catch((error: Error & { stderr?: string }) => {
      throw new Error(`initdb failed: ${error.stderr || error.message}`);
    });
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }

  const host = "127.0.0.1";
  const port = options.port ?? (await freePort(host));
  const args = [
    ...["-D", dataDirectory, "-h", host, "-p", String(port), "-k", socketDirectory],
    ...["-c", `max_connections=${options.maxConnections ?? 300}`],
  ];
  const url = `postgres://postgres@${host}:${port}/postgres`;
  const server = await startManagedServer({
    root,
    // SIGINT is PostgreSQL's fast shutdown: sessions are ended rather than waited for.
    stopSignal: "SIGINT",
    stopTimeoutMs: 15_000,
    async start() {
      // A restart right after kill() can find the killed backends still detaching from shared
      // memory, which the new server refuses ("pre-existing shared memory block"); try again shortly.
      for (let attempt = 1; ; attempt++) {
        const candidate = spawnServer(join(bin, "postgres"), args, { ...(account ?? {}), env: { ...process.env, LC_ALL: "C" } });
        try {
          await waitUntilReady(`PostgreSQL on port ${port}`, candidate, () => answers(url));
          return candidate;
        } catch (error) {
          if (attempt >= 20 || !/shared memory block|lock file .* already exists/.test(candidate.output())) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    },
  });
  return {
    url,
    host,
    port,
    dataDirectory,
    get pid() {
      return server.pid;
    },
    stop: server.stop,
    kill: server.kill,
    restart: server.restart,
    destroy: server.destroy,
  };
}

/** Whether the server at `url` runs a query now. */
async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
