// `bod serve`: the runtime on this machine. Parses flags and environment once, builds the
// launcher (sandboxed with bubblewrap where it works), the activator and the HTTP front, and
// prints where to reach it and with which token.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ReasonerConfig } from "@bod/agent";
import type { State } from "@bod/state";
import type { ArtifactStore, SceneStore } from "@bod/storage";
import type { Command } from "commander";
import type { Logger } from "pino";
import { z } from "zod";
import { createLogger } from "../logger.ts";
import { describeStorage, parseStorageUrls, type StorageUrls, storageEnvironment, storageNeedsNetwork } from "../storage-flags.ts";

const ServeFlagsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(7800),
  host: z.string().min(1).default("127.0.0.1"),
  dataDir: z.string().min(1).default(".data"),
  idleTimeout: z.coerce.number().min(0.1).max(86_400).default(60),
  poolSize: z.coerce.number().int().min(0).max(64).default(0),
  maxInstances: z.coerce.number().int().min(1).max(10_000).optional(),
  maxQueue: z.coerce.number().int().min(0).max(100_000).default(64),
  startTimeout: z.coerce.number().min(1).max(600).default(30),
  sandbox: z.enum(["auto", "on", "off"]).default("auto"),
  blender: z.string().optional(),
  allowScripts: z.boolean().default(false),
  stateUrl: z.string().optional(),
  artifactUrl: z.string().optional(),
  messageBurst: z.coerce.number().int().min(1).max(10_000).default(20),
  messageInterval: z.coerce.number().min(0.001).max(86_400).default(3),
});

const EnvSchema = z.object({
  BOD_TOKEN: z.string().min(16, "BOD_TOKEN must be at least 16 characters").optional(),
  BLENDER_PATH: z.string().optional(),
  BOD_WORKER_LOG_LEVEL: z.string().default("warn"),
});

export type ServeFlags = z.infer<typeof ServeFlagsSchema>;

/** Flags and environment as `bod serve` runs them: parsed and checked before anything starts. */
export interface ServeConfig {
  flags: ServeFlags;
  env: z.infer<typeof EnvSchema>;
  storage: StorageUrls;
  /** The offline planner, or the LLM the BOD_LLM_* variables name. */
  reasoner: ReasonerConfig;
}

/** Parses `bod serve`'s flags and environment; the message names what is wrong. */
export async function parseServeConfig(
  rawFlags: unknown,
  environment: Record<string, string | undefined>,
): Promise<{ ok: true; config: ServeConfig } | { ok: false; message: string }> {
  const flags = ServeFlagsSchema.safeParse(rawFlags);
  if (!flags.success) return { ok: false, message: z.prettifyError(flags.error) };
  const env = EnvSchema.safeParse(environment);
  if (!env.success) return { ok: false, message: z.prettifyError(env.error) };
  const storage = parseStorageUrls(flags.data, environment);
  if (!storage.ok) return storage;
  let reasoner: ReasonerConfig;
  const { reasonerConfigFromEnv } = await import("@bod/agent");
  try {
    reasoner = reasonerConfigFromEnv(environment);
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
  return { ok: true, config: { flags: flags.data, env: env.data, storage: storage.urls, reasoner } };
}

/** The Node command line that runs `bod worker` from this checkout. */
export function workerCommand(): string[] {
  return [process.execPath, "--disable-warning=ExperimentalWarning", fileURLToPath(new URL("../main.ts", import.meta.url)), "worker"];
}

/** bubblewrap's path when it is installed and can create namespaces here; undefined otherwise. */
/**
 * The folder a Blender given by absolute path lives in, which sandboxed workers must see even
 * where it lies under a folder they have hidden (a bpy venv under /root/.cache): the folder above
 * `bin/` (a venv's root) or the executable's own folder (an official build's tree). None for a
 * Blender found on PATH or under /usr, which the sandbox shows anyway.
 */
function blenderInstallation(blender: string | undefined): string[] {
  if (!blender || !isAbsolute(blender)) return [];
  const folder = dirname(blender);
  const root = basename(folder) === "bin" ? dirname(folder) : folder;
  return root === "/" || root === "/usr" || root.startsWith("/usr/") ? [] : [root];
}

export function findWorkingBwrap(): string | undefined {
  for (const candidate of ["/usr/bin/bwrap", "/usr/local/bin/bwrap"]) {
    if (!existsSync(candidate)) continue;
    const probe = spawnSync(candidate, ["--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "--", "true"], { timeout: 5000 });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

/** The token from BOD_TOKEN, else the one stored in the data dir, else a new one stored there. */
export async function loadOrCreateToken(dataDir: string, fromEnv: string | undefined): Promise<{ token: string; source: string }> {
  if (fromEnv) return { token: fromEnv, source: "BOD_TOKEN" };
  const file = join(dataDir, "runtime-token");
  const stored = (await readFile(file, "utf8").catch(() => "")).trim();
  if (stored.length >= 16) return { token: stored, source: file };
  const token = randomBytes(24).toString("base64url");
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return { token, source: file };
}

export interface StartedServe {
  url: string;
  token: string;
  /** The gateway's sign-in token for the web UI and /api (the "owner" user). */
  signInToken: string;
  close(): Promise<void>;
}

/** The local runtime as `bod serve` and `bod gateway --runtime local` build it. */
export interface LocalRuntimeParts {
  runtime: import("@bod/runtime").LocalRuntime;
  metrics: import("@bod/runtime").RuntimeMetrics;
  /** The store of the projects' artifacts: the shared bucket, or the project folders. */
  artifacts: ArtifactStore;
  /** How workers are isolated ("bubblewrap" or "none"), for the start-up log. */
  isolation: string;
  /** Tells the runtime where its routes are served, once the server listens (workers' artifact links). */
  setBaseUrl(url: string): void;
}

/** Builds the launcher (sandboxed with bubblewrap where it works), the activator and its artifact store. */
export async function createLocalRuntimeParts(
  config: ServeConfig,
  dataDir: string,
  stores: ServeStores,
  logger: Logger,
): Promise<LocalRuntimeParts> {
  const { flags, env, storage } = config;
  const { createLocalRuntime, createProcessLauncher, createProjectArtifactStore, createRuntimeMetrics, defaultHiddenPaths } = await import(
    "@bod/runtime"
  );
  const bwrapPath = flags.sandbox === "off" ? undefined : findWorkingBwrap();
  if (flags.sandbox === "on" && !bwrapPath)
    throw new Error("--sandbox on: bubblewrap (bwrap) is not installed or cannot create namespaces here.");
  // Scripts run only in workers that are themselves sandboxed; each worker checks its nested sandbox at start.
  if (flags.allowScripts && !bwrapPath)
    throw new Error(
      `--allow-scripts needs workers sandboxed with bubblewrap, and ${flags.sandbox === "off" ? "--sandbox off turns that off" : "bubblewrap is not installed or cannot create namespaces here"}.`,
    );
  const blender = flags.blender ?? env.BLENDER_PATH;
  const compileCacheDir = join(dataDir, "cache", "node-compile");
  const launcher = createProcessLauncher({
    workerCommand: workerCommand(),
    compileCacheDir,
    ...(bwrapPath
      ? {
          sandbox: {
            bwrapPath,
            hide: defaultHiddenPaths(dataDir),
            readOnly: blenderInstallation(blender),
            shareNetwork: storageNeedsNetwork(storage),
          },
        }
      : {}),
    // The same stores reach every worker, so a worker restores its project wherever it starts.
    env: {
      BOD_LOG_LEVEL: env.BOD_WORKER_LOG_LEVEL,
      ...(blender ? { BLENDER_PATH: blender } : {}),
      ...storageEnvironment(storage),
      // What isolates each worker, which run_script requires (bod worker --allow-scripts).
      ...(bwrapPath ? { BOD_WORKER_ISOLATION: "bubblewrap" } : {}),
      ...(flags.allowScripts ? { BOD_ALLOW_SCRIPTS: "1" } : {}),
    },
    startBlenderFirst: true,
    // Workers log JSON lines on stderr at BOD_WORKER_LOG_LEVEL (warn by default): pass them on.
    forwardOutput: true,
  });

  const { warmWorkerCompileCache } = await import("../worker-compile-cache.ts");
  void warmWorkerCompileCache(compileCacheDir, workerCommand());

  let baseUrl = "";
  const metrics = createRuntimeMetrics();
  const runtime = createLocalRuntime({
    dataDir,
    launcher,
    metrics,
    logger: logger.child({ component: "runtime" }),
    publicUrlFor: (projectId) => `${baseUrl}/projects/${projectId}`,
    idleTimeoutMs: flags.idleTimeout * 1000,
    poolSize: flags.poolSize,
    ...(flags.maxInstances ? { maxInstances: flags.maxInstances } : {}),
    maxQueue: flags.maxQueue,
    startTimeoutMs: flags.startTimeout * 1000,
  });
  // The runtime's artifact route, the gateway and the workers use the same store: the project
  // folders, or the shared bucket.
  const artifacts = stores.artifacts ?? createProjectArtifactStore((projectId) => runtime.projectDirOf(projectId));
  return {
    runtime,
    metrics,
    artifacts,
    isolation: launcher.isolation,
    setBaseUrl(url) {
      baseUrl = url;
    },
  };
}

/** Builds and starts everything `bod serve` runs; also used by `bod bench runtime`. */
export async function startServe(config: ServeConfig, logger: Logger): Promise<StartedServe> {
  const { flags, env, storage } = config;
  const { createBearerTokenAuthenticator, createRuntimeRequestHandler } = await import("@bod/runtime");
  const dataDir = resolve(flags.dataDir);
  await mkdir(dataDir, { recursive: true });
  const { token, source } = await loadOrCreateToken(dataDir, env.BOD_TOKEN);
  // The shared stores are reached before any worker starts: a wrong address or a server that is
  // down fails the start here, with the store named, rather than the first user's turn.
  const stores = await openServeStores(storage, dataDir);
  const { runtime, metrics, artifacts, isolation, setBaseUrl } = await createLocalRuntimeParts(config, dataDir, stores, logger);
  let baseUrl = "";
  // One server, one router: the runtime's paths (/healthz, /projects/{id}/mcp and artifacts,
  // /api/instances, /metrics, behind the runtime token) go to the runtime, every other path (the
  // API for users, the web UI) to the gateway. The gateway's agent calls tools through
  // /projects/{id}/mcp over loopback with the runtime token, so every tool call goes through the
  // activator like any other client's.
  const runtimeHandler = createRuntimeRequestHandler({
    runtime,
    authenticator: createBearerTokenAuthenticator(token),
    metrics,
    artifacts,
    poolStatus: () => runtime.poolStatus(),
    logger: logger.child({ component: "http" }),
  });
  const { createGateway, createRuntimeAdapter } = await import("@bod/gateway");
  const { isRuntimePath } = await import("@bod/runtime");
  const gateway = await createGateway({
    runtime: createRuntimeAdapter(runtime, artifacts, stores.scenes, { baseUrl: () => baseUrl, token }),
    artifacts,
    ...(stores.artifactOrigin ? { artifactOrigins: [stores.artifactOrigin] } : {}),
    state: stores.state,
    dataDir,
    idleTimeoutMs: flags.idleTimeout * 1000,
    reasoner: config.reasoner,
    allowScripts: flags.allowScripts,
    rateLimits: { messages: { capacity: flags.messageBurst, refillPerSecond: 1 / flags.messageInterval } },
    onError: (error) => logger.error({ err: error }, "gateway request failed"),
  }).catch(async (error: unknown) => {
    await runtimeHandler.close();
    await runtime.close();
    throw error;
  });
  const server = createServer((req, res) => {
    const url = req.url ?? "/";
    const queryAt = url.indexOf("?");
    if (isRuntimePath(queryAt < 0 ? url : url.slice(0, queryAt))) runtimeHandler.listener(req, res);
    else gateway.listener(req, res);
  });
  // Tool calls (renders) may run for minutes; the worker enforces its own timeouts.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(flags.port, flags.host, () => resolvePromise());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : flags.port;
  baseUrl = `http://${flags.host.includes(":") ? `[${flags.host}]` : flags.host}:${port}`;
  setBaseUrl(baseUrl);
  logger.info(
    {
      url: baseUrl,
      dataDir,
      tokenSource: source,
      isolation,
      idleTimeoutS: flags.idleTimeout,
      poolSize: flags.poolSize,
      maxInstances: runtime.maxInstances,
      storage: describeStorage(storage, dataDir),
    },
    "runtime listening",
  );
  return {
    url: baseUrl,
    token,
    signInToken: gateway.ownerToken,
    async close() {
      server.close();
      server.closeIdleConnections();
      await runtime.close();
      await gateway.close();
      await runtimeHandler.close();
      await stores.scenes?.close();
      server.closeAllConnections();
    },
  };
}

export interface ServeStores {
  state: State;
  /** The shared bucket's store; undefined for the project folders. */
  artifacts?: ArtifactStore;
  /** Where the bucket's download links point (the web UI's Content-Security-Policy allows it). */
  artifactOrigin?: string;
  /** The shared scene store (journal in PostgreSQL, snapshots in S3), when both are configured. */
  scenes?: SceneStore;
}

/** The stores `bod serve` shares with its workers, opened (and PostgreSQL reached) before any worker starts. */
export async function openServeStores(storage: StorageUrls, dataDir: string): Promise<ServeStores> {
  const { createState } = await import("@bod/state");
  const state = await createState({ url: storage.stateUrl, dataDir });
  if (!storage.artifactLocation) return { state };
  const { createPostgresS3SceneStore, createS3ArtifactStore, s3DownloadOrigin } = await import("@bod/storage/scale-out");
  const artifacts = createS3ArtifactStore({ location: storage.artifactLocation });
  // Checks the bucket answers (and the keys work) now rather than at the first render.
  await artifacts.list("bod-startup-check").catch(async (error: Error) => {
    await state.close();
    throw new Error(`--artifact-url: ${error.message}`);
  });
  return {
    state,
    artifacts,
    artifactOrigin: await s3DownloadOrigin(storage.artifactLocation),
    // Scenes are shared only when both halves are: the journal in PostgreSQL, snapshots in S3.
    ...(storage.stateUrl ? { scenes: createPostgresS3SceneStore({ postgresUrl: storage.stateUrl, s3: storage.artifactLocation }) } : {}),
  };
}

/** `--message-burst` and `--message-interval`, which `bod serve` and `bod gateway` both take (parsed by ServeFlagsSchema). */
export function addMessageRateOptions(command: Command): Command {
  return command
    .option("--message-burst <n>", "chat messages a user may send in a burst, across all replicas", "20")
    .option("--message-interval <seconds>", "then one message per this many seconds", "3");
}

export function registerServeCommand(program: Command): void {
  const command = program
    .command("serve")
    .description(
      "Run blender-on-demand: the web UI and API, the agent, and each project's MCP endpoint at /projects/{id}/mcp with its Blender started on demand and stopped when idle",
    )
    .option("--port <port>", "TCP port; 0 picks a free one", "7800")
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--data-dir <dir>", "where projects, their scenes and artifacts live", ".data")
    .option("--idle-timeout <seconds>", "drain a project's worker after this long without requests", "60")
    .option("--pool-size <n>", "Blender workers kept started ahead, bound to a project on its first request", "0")
    .option("--max-instances <n>", "most workers running at once (default: what 75% of memory holds at ~360 MiB each, less the pool)")
    .option("--max-queue <n>", "starts that may wait for a free slot before requests get 503", "64")
    .option("--start-timeout <seconds>", "fail held requests if a worker is not ready by then", "30")
    .option("--sandbox <mode>", "run workers in bubblewrap: auto (when it works), on, off", "auto")
    .option("--blender <path>", "Blender executable, or a Python with the bpy module (default: BLENDER_PATH or blender on PATH)")
    .option(
      "--allow-scripts",
      "offer run_script (Python against bpy) to every project, run in a nested sandbox inside the worker's; needs workers in bubblewrap (docs/scripts.md)",
    )
    .option(
      "--state-url <url>",
      "PostgreSQL for users, projects, conversations and scene journals, shared by every replica: postgres://USER@HOST:PORT/DB, password in PGPASSWORD (default: SQLite in the data dir; also BOD_STATE_URL)",
    )
    .option(
      "--artifact-url <url>",
      "S3 bucket for renders, exports and scene snapshots: s3://BUCKET[/PREFIX]?endpoint=URL&region=R&forcePathStyle=true, keys in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (default: the data dir; also BOD_ARTIFACT_URL)",
    );
  addMessageRateOptions(command);
  command.action(async (rawFlags) => {
    const parsed = await parseServeConfig(rawFlags, process.env);
    if (!parsed.ok) {
      console.error(`bod serve: ${parsed.message}`);
      process.exit(2);
    }
    const logger = createLogger();
    const serve = await startServe(parsed.config, logger).catch((error: Error) => {
      console.error(`bod serve: ${error.message}`);
      process.exit(1);
    });
    console.log(`runtime ready: ${serve.url}/projects/{projectId}/mcp`);
    console.log(`token: ${serve.token}`);
    console.log(`web UI and API: ${serve.url}/  sign-in token: ${serve.signInToken}`);
    console.log(`try: curl -H "Authorization: Bearer ${serve.token}" ${serve.url}/api/instances`);
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      logger.info("draining every worker before exit");
      serve.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
}
