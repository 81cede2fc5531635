// A fresh, empty database per call on the run's PostgreSQL, so that tests never see each other's rows.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { POSTGRES_URL_VARIABLE, requireTestVariable } from "./test-environment.ts";

export interface TestDatabase {
  /** `postgres://postgres@127.0.0.1:PORT/bod_test_<random>`. */
  url: string;
  /** Ends every session still connected to it and drops it. Safe to call twice. */
  drop(): Promise<void>;
}

/** Runs `sql` on the server's maintenance database (CREATE/DROP DATABASE cannot run in the target itself). */
async function onServer(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 10_000 });
  client.on("error", () => {});
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * A fresh, empty database on the run's PostgreSQL (a new database per call), owned by the
 * superuser. `serverUrl` defaults to BOD_TEST_POSTGRES_URL, which the e2e global setup sets;
 * pass a startPostgres() server's url to create one on a server of the test's own.
 */
export async function createTestDatabase(serverUrl: string = requireTestVariable(POSTGRES_URL_VARIABLE)): Promise<TestDatabase> {
  const name = `bod_test_${randomBytes(6).toString("hex")}`;
  await onServer(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  return {
    url: url.toString(),
    drop() {
      // WITH (FORCE) ends the sessions a test left open (a pool it did not end) instead of failing.
      dropped ??= onServer(serverUrl, `drop database if exists ${name} with (force)`);
      return dropped;
    },
  };
}
