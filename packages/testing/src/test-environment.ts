// The coordinates of the run's shared servers, which the e2e global setup puts in the environment
// of every test file: one PostgreSQL and one S3 server for the whole run.
import type { PostgresServer } from "./postgres-server.ts";
import type { S3Server } from "./s3-server.ts";

/** The superuser URL of the run's PostgreSQL (database `postgres`). */
export const POSTGRES_URL_VARIABLE = "BOD_TEST_POSTGRES_URL";
/** The run's S3 server, `http://127.0.0.1:PORT`. */
export const S3_ENDPOINT_VARIABLE = "BOD_TEST_S3_ENDPOINT";

/** The variables that point clients at the servers: ours and the AWS SDK's own. */
export function testServerEnvironment(postgres: PostgresServer, s3: S3Server): Record<string, string> {
  return {
    [POSTGRES_URL_VARIABLE]: postgres.url,
    [S3_ENDPOINT_VARIABLE]: s3.endpoint,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_REGION: s3.region,
  };
}

/** Reads a variable the global setup sets; says how to get it when it is missing. */
export function requireTestVariable(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is not set. The e2e project's global setup (packages/testing/src/global-setup.ts) starts the test servers and sets it: ` +
        "run the file through vitest, e.g. `npx vitest run --project e2e packages/<pkg>/test/<file>.test.ts`.",
    );
  return value;
}
