// The PostgreSQL and S3 server a benchmark runs against: the ones its flags name, or ones started
// for the run (Debian's PostgreSQL, versitygw, as in the tests); a fresh database and bucket in
// either, removed with whatever was started when the run ends.
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { formatS3Location, type S3Location } from "@bod/storage";

export interface BenchServerOptions {
  /** A PostgreSQL server to use (a database is created in it); default: one started for the run. */
  postgresUrl?: string | undefined;
  /** An S3 endpoint to use with the AWS_* credentials; default: a versitygw started for the run. */
  s3Endpoint?: string | undefined;
}

export interface BenchServers {
  /** The run's own database. */
  postgresUrl: string;
  /** The run's own bucket. */
  location: S3Location;
  /** `location` as an `s3://` URL, as workers are given it. */
  artifactUrl: string;
  /** The PostgreSQL server's postmaster, when it was started here (for its memory). */
  postgresPid?: number | undefined;
  stop(): Promise<void>;
}

export async function prepareBenchServers(options: BenchServerOptions, log: (line: string) => void): Promise<BenchServers> {
  const testing = await import("@bod/testing");
  const stops: (() => Promise<void>)[] = [];
  let serverUrl = options.postgresUrl;
  let postgresPid: number | undefined;
  if (!serverUrl) {
    log("starting PostgreSQL for the run");
    const server = await testing.startPostgres();
    stops.push(() => server.destroy());
    serverUrl = server.url;
    postgresPid = Number((await readFile(join(server.dataDirectory, "postmaster.pid"), "utf8")).split("\n")[0]);
  }
  let endpoint = options.s3Endpoint;
  if (!endpoint) {
    log("starting the S3 server (versitygw) for the run");
    const server = await testing.startS3Server();
    stops.push(() => server.destroy());
    endpoint = server.endpoint;
    process.env.AWS_ACCESS_KEY_ID = server.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = server.secretAccessKey;
    process.env.AWS_REGION = server.region;
  }
  const database = await testing.createTestDatabase(serverUrl);
  stops.unshift(() => database.drop());
  const location: S3Location = {
    bucket: `bod-bench-${randomBytes(4).toString("hex")}`,
    prefix: "",
    endpoint,
    region: process.env.AWS_REGION ?? "us-east-1",
    forcePathStyle: true,
  };
  const { createS3Client } = await import("@bod/storage/scale-out");
  await createS3Client(location).send(new CreateBucketCommand({ Bucket: location.bucket }));
  return {
    postgresUrl: database.url,
    location,
    artifactUrl: formatS3Location(location),
    postgresPid,
    async stop() {
      for (const stop of stops) await stop().catch(() => undefined);
    },
  };
}
