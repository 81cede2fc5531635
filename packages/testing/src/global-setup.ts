// The e2e project's global setup: starts one PostgreSQL and one S3 server for the whole run and
// hands their coordinates to the test files through the environment, which every test worker
// inherits (it starts after this runs). Both stop, and their folders go, at teardown.
import { startPostgres } from "./postgres-server.ts";
import { startS3Server } from "./s3-server.ts";
import { testServerEnvironment } from "./test-environment.ts";

export default async function setup(): Promise<() => Promise<void>> {
  const started = performance.now();
  const [postgres, s3] = await Promise.allSettled([startPostgres(), startS3Server()]);
  if (postgres.status === "rejected" || s3.status === "rejected") {
    if (postgres.status === "fulfilled") await postgres.value.destroy();
    if (s3.status === "fulfilled") await s3.value.destroy();
    throw postgres.status === "rejected" ? postgres.reason : (s3 as PromiseRejectedResult).reason;
  }
  Object.assign(process.env, testServerEnvironment(postgres.value, s3.value));
  // A session token left in the environment would be sent along with the test keys and refused.
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  if (process.env.BOD_TEST_SERVERS_VERBOSE)
    console.log(
      `[test servers] PostgreSQL ${postgres.value.url} and S3 ${s3.value.endpoint} up in ${Math.round(performance.now() - started)} ms`,
    );
  return async () => {
    await Promise.all([postgres.value.destroy(), s3.value.destroy()]);
  };
}
