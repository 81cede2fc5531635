// A real S3 server on loopback for tests: versitygw (an S3 gateway with SigV4, presigned URLs,
// multipart uploads and conditional writes) over a temporary folder, with its own random keys.
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.ts";
import { versitygwPath } from "./server-binaries.ts";
import { spawnServer, startManagedServer, waitUntilReady } from "./server-process.ts";

export interface S3ServerOptions {
  /** TCP port on 127.0.0.1; default a free one. restart() keeps it. */
  port?: number;
  /** The root user's access key; default a random one. */
  accessKeyId?: string;
  /** The root user's secret; default a random one. */
  secretAccessKey?: string;
  /** The region the server signs for. Default us-east-1. */
  region?: string;
}

export interface S3Server {
  /** `http://127.0.0.1:PORT`, for path-style requests. */
  readonly endpoint: string;
  readonly host: string;
  readonly port: number;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  /** The folder the buckets live in (one folder per bucket). */
  readonly directory: string;
  /** The server's process id (a new one after restart()). */
  readonly pid: number;
  /** SIGTERM, then waits for the exit. The objects stay; restart() brings the server back. */
  stop(): Promise<void>;
  /** SIGKILLs the server, as a crash would. */
  kill(): Promise<void>;
  /** Stops the server when it runs, then starts it again on the same port and folder and waits until it answers. */
  restart(): Promise<void>;
  /** Stops the server and deletes its folder. */
  destroy(): Promise<void>;
}

/** Starts versitygw's posix backend over a new temporary folder; resolves once it answers HTTP. */
export async function startS3Server(options: S3ServerOptions = {}): Promise<S3Server> {
  const program = versitygwPath();
  const root = await mkdtemp(join(tmpdir(), "bod-s3-"));
  const directory = join(root, "buckets");
  await mkdir(directory);
  const host = "127.0.0.1";
  const port = options.port ?? (await freePort(host));
  const accessKeyId = options.accessKeyId ?? `bod${randomBytes(8).toString("hex")}`;
  const secretAccessKey = options.secretAccessKey ?? randomBytes(24).toString("base64url");
  const region = options.region ?? "us-east-1";
  const args = [
    ...["--port", `${host}:${port}`, "--region", region],
    // Clients keep connections open between requests, as against AWS; --quiet drops the request log.
    ...["--keep-alive", "--quiet", "posix", directory],
  ];
  const endpoint = `http://${host}:${port}`;
  const server = await startManagedServer({
    root,
    stopSignal: "SIGTERM",
    stopTimeoutMs: 10_000,
    async start() {
      // The keys go through the server's environment rather than its command line, which ps shows.
      const candidate = spawnServer(program, args, {
        env: { ...process.env, ROOT_ACCESS_KEY_ID: accessKeyId, ROOT_SECRET_ACCESS_KEY: secretAccessKey },
      });
      await waitUntilReady(`versitygw on port ${port}`, candidate, () => answersHttp(host, port));
      return candidate;
    },
  });
  return {
    endpoint,
    host,
    port,
    accessKeyId,
    secretAccessKey,
    region,
    directory,
    get pid() {
      return server.pid;
    },
    stop: server.stop,
    kill: server.kill,
    restart: server.restart,
    destroy: server.destroy,
  };
}

/** Whether an HTTP server answers at host:port (any status: an unsigned request gets 403). */
function answersHttp(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = request({ host, port, path: "/", method: "GET", timeout: 2_000, agent: false }, (response) => {
      response.resume();
      resolve(true);
    });
    probe.on("timeout", () => probe.destroy());
    probe.on("error", () => resolve(false));
    probe.end();
  });
}
