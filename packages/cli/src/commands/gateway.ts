// `bod gateway`: the web UI, the API and the agent, with no workers of its own; projects' workers
// run in the runtime its configuration names. The composition root of that deployable:
//   --runtime local    the local activator in this process (workers are child processes), its
//                      routes on a private loopback port only the agent uses;
//   --runtime knative  one Knative Service per project in --kube-namespace (in-cluster service
//                      account, or KUBECONFIG); the agent calls each Service's cluster address.
// Its own server serves only the gateway's paths, and /healthz for probes.
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { resolve } from "node:path";
import type { Command } from "commander";
import type { Logger } from "pino";
import { z } from "zod";
import { createLogger } from "../logger.ts";
import { addWorkerServiceOptions, parseWorkerServiceFlags } from "../worker-service-flags.ts";
import {
  addMessageRateOptions,
  createLocalRuntimeParts,
  openServeStores,
  parseServeConfig,
  type ServeConfig,
  type ServeStores,
} from "./serve.ts";

const GatewayFlagsSchema = z.object({
  runtime: z.enum(["local", "knative"]).default("local"),
  kubeNamespace: z.string().optional(),
  deleteIdleAfter: z.coerce.number().min(0).max(3650).default(14),
});

/** `bod gateway`'s configuration, checked before anything starts. */
export type GatewayConfig =
  | { runtime: "local"; serve: ServeConfig }
  | {
      runtime: "knative";
      serve: ServeConfig;
      worker: import("@bod/runtime-knative/worker-service").WorkerServiceSettings;
      /** Days unused after which a project's Service is deleted (0: never). */
      deleteIdleAfterDays: number;
    };

/** Parses `bod gateway`'s flags and environment; the message names what is wrong. */
export async function parseGatewayConfig(
  rawFlags: Record<string, unknown>,
  environment: Record<string, string | undefined>,
): Promise<{ ok: true; config: GatewayConfig } | { ok: false; message: string }> {
  const own = GatewayFlagsSchema.safeParse(rawFlags);
  if (!own.success) return { ok: false, message: z.prettifyError(own.error) };
  const serve = await parseServeConfig(rawFlags, environment);
  if (!serve.ok) return serve;
  if (own.data.runtime === "local") {
    if (own.data.kubeNamespace !== undefined) return { ok: false, message: "--kube-namespace needs --runtime knative" };
    return { ok: true, config: { runtime: "local", serve: serve.config } };
  }
  if (!own.data.kubeNamespace)
    return { ok: false, message: "--runtime knative needs --kube-namespace NS: where the projects' Services live" };
  const storage = serve.config.storage;
  if (!storage.stateUrl || !storage.artifactLocation)
    return {
      ok: false,
      message:
        "--runtime knative needs --state-url (PostgreSQL) and --artifact-url (S3): workers in the cluster restore scenes from them and the gateway's replicas share them",
    };
  const worker = parseWorkerServiceFlags(rawFlags, own.data.kubeNamespace, environment);
  if (!worker.ok) return worker;
  return {
    ok: true,
    config: { runtime: "knative", serve: serve.config, worker: worker.settings, deleteIdleAfterDays: own.data.deleteIdleAfter },
  };
}

export interface StartedGateway {
  url: string;
  /** The sign-in token of the "owner" user for the web UI and /api. */
  signInToken: string;
  close(): Promise<void>;
}

/** Builds and starts `bod gateway`. */
export async function startGateway(config: GatewayConfig, logger: Logger): Promise<StartedGateway> {
  const { flags } = config.serve;
  const dataDir = resolve(flags.dataDir);
  await mkdir(dataDir, { recursive: true });
  // The shared stores are reached before anything else starts: a wrong address fails here.
  const stores = await openServeStores(config.serve.storage, dataDir);
  // The state is closed by the gateway once it has one.
  let closeState = () => stores.state.close();
  const closers: Array<() => Promise<void>> = [async () => stores.scenes?.close(), () => closeState()];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) await close().catch((error: unknown) => logger.warn({ err: error }, "close failed"));
  };
  try {
    const { runtime, artifacts, idleTimeoutMs, describe } =
      config.runtime === "local"
        ? await startLocalRuntime(config.serve, dataDir, stores, logger, closers)
        : await startKnativeRuntime(config, stores, logger, closers);
    const { createGateway } = await import("@bod/gateway");
    const gateway = await createGateway({
      runtime,
      artifacts,
      ...(stores.artifactOrigin ? { artifactOrigins: [stores.artifactOrigin] } : {}),
      state: stores.state,
      dataDir,
      idleTimeoutMs,
      reasoner: config.serve.reasoner,
      allowScripts: config.runtime === "local" ? flags.allowScripts : config.worker.allowScripts,
      rateLimits: { messages: { capacity: flags.messageBurst, refillPerSecond: 1 / flags.messageInterval } },
      onError: (error) => logger.error({ err: error }, "gateway request failed"),
    });
    closeState = () => gateway.close();
    const server = createServer((req, res) => {
      if (req.url === "/healthz") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"ok":true}');
        return;
      }
      gateway.listener(req, res);
    });
    // A turn's event stream lasts as long as its renders.
    server.requestTimeout = 0;
    server.keepAliveTimeout = 65_000;
    const url = await listen(server, flags.port, flags.host);
    closers.push(async () => {
      server.close();
      server.closeAllConnections();
    });
    logger.info({ url, dataDir, runtime: describe }, "gateway listening");
    return { url, signInToken: gateway.ownerToken, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

interface GatewayRuntime {
  runtime: import("@bod/gateway").GatewayOptions["runtime"];
  artifacts: import("@bod/gateway").GatewayOptions["artifacts"];
  idleTimeoutMs: number;
  describe: Record<string, unknown>;
}

/** The local activator, its routes on a private loopback port with a token of this process's own. */
async function startLocalRuntime(
  config: ServeConfig,
  dataDir: string,
  stores: ServeStores,
  logger: Logger,
  closers: Array<() => Promise<void>>,
): Promise<GatewayRuntime> {
  const { createBearerTokenAuthenticator, createRuntimeServer } = await import("@bod/runtime");
  const { createRuntimeAdapter } = await import("@bod/gateway");
  const parts = await createLocalRuntimeParts(config, dataDir, stores, logger);
  closers.push(() => parts.runtime.close());
  const token = randomBytes(24).toString("base64url");
  const server = createRuntimeServer({
    runtime: parts.runtime,
    authenticator: createBearerTokenAuthenticator(token),
    metrics: parts.metrics,
    artifacts: parts.artifacts,
    poolStatus: () => parts.runtime.poolStatus(),
    logger: logger.child({ component: "runtime-http" }),
  });
  const baseUrl = await listen(server, 0, "127.0.0.1");
  parts.setBaseUrl(baseUrl);
  closers.push(async () => {
    server.close();
    server.closeAllConnections();
  });
  return {
    runtime: createRuntimeAdapter(parts.runtime, parts.artifacts, stores.scenes, { baseUrl: () => baseUrl, token }),
    artifacts: parts.artifacts,
    idleTimeoutMs: config.flags.idleTimeout * 1000,
    describe: { kind: "local", isolation: parts.isolation, maxInstances: parts.runtime.maxInstances },
  };
}

/** The Knative backend: informers started (the API server reached) before the gateway answers. */
async function startKnativeRuntime(
  config: Extract<GatewayConfig, { runtime: "knative" }>,
  stores: ServeStores,
  logger: Logger,
  closers: Array<() => Promise<void>>,
): Promise<GatewayRuntime> {
  const { createKnativeRuntime, loadKubeConfig } = await import("@bod/runtime-knative");
  const { createClusterRuntimeAdapter } = await import("@bod/gateway");
  if (!stores.artifacts) throw new Error("--runtime knative needs --artifact-url");
  const kubeConfig = loadKubeConfig(process.env);
  const server = kubeConfig.getCurrentCluster()?.server;
  const knative = createKnativeRuntime({
    kubeConfig,
    settings: config.worker,
    deleteAfterIdleDays: config.deleteIdleAfterDays,
    onError: (error, context) => logger.warn({ err: error }, `Knative backend: ${context}`),
  });
  await knative.start().catch((error: Error) => {
    throw new Error(`--runtime knative: the Kubernetes API at ${server} did not answer: ${error.message}`);
  });
  closers.push(() => knative.close());
  return {
    runtime: createClusterRuntimeAdapter(knative, stores.artifacts, stores.scenes),
    artifacts: stores.artifacts,
    idleTimeoutMs: config.worker.idleWindowSeconds * 1000,
    describe: { kind: "knative", namespace: config.worker.namespace, apiServer: server, image: config.worker.image },
  };
}

async function listen(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolvePromise());
  });
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : port;
  return `http://${host.includes(":") ? `[${host}]` : host}:${bound}`;
}

export function registerGatewayCommand(program: Command): void {
  const command = program
    .command("gateway")
    .description(
      "Run the web UI, the API and the agent, with projects' workers in a runtime: the local activator, or one Knative Service per project",
    )
    .option("--runtime <kind>", "where projects' workers run: local (this machine) or knative (a Knative Service per project)", "local")
    .option(
      "--kube-namespace <namespace>",
      "with --runtime knative: the namespace of the projects' Services (API from the service account or KUBECONFIG)",
    )
    .option(
      "--delete-idle-after <days>",
      "with --runtime knative: delete a project's Service after this many days unused (0: never); it comes back on use",
      "14",
    )
    .option("--port <port>", "TCP port; 0 picks a free one", "7800")
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--data-dir <dir>", "owner-token, SQLite when no --state-url, and with --runtime local the projects' folders", ".data")
    .option(
      "--state-url <url>",
      "PostgreSQL shared by every replica (and the workers' scene journal): postgres://USER@HOST:PORT/DB, password in PGPASSWORD (also BOD_STATE_URL)",
    )
    .option(
      "--artifact-url <url>",
      "S3 bucket of renders, exports and scene snapshots: s3://BUCKET[/PREFIX]?endpoint=URL&region=R&forcePathStyle=true (also BOD_ARTIFACT_URL)",
    )
    .option("--idle-timeout <seconds>", "with --runtime local: stop a project's worker after this long without requests", "60")
    .option("--pool-size <n>", "with --runtime local: workers started ahead", "0")
    .option("--max-instances <n>", "with --runtime local: most workers running at once")
    .option("--max-queue <n>", "with --runtime local: starts that may wait for a free slot", "64")
    .option("--start-timeout <seconds>", "with --runtime local: fail held requests if a worker is not ready by then", "30")
    .option("--sandbox <mode>", "with --runtime local: run workers in bubblewrap: auto, on, off", "auto")
    .option("--blender <path>", "with --runtime local: Blender executable");
  addMessageRateOptions(command);
  addWorkerServiceOptions(command).action(async (rawFlags: Record<string, unknown>) => {
    const parsed = await parseGatewayConfig(rawFlags, process.env);
    if (!parsed.ok) {
      console.error(`bod gateway: ${parsed.message}`);
      process.exit(2);
    }
    const logger = createLogger();
    const gateway = await startGateway(parsed.config, logger).catch((error: Error) => {
      console.error(`bod gateway: ${error.message}`);
      process.exit(1);
    });
    console.log(`web UI and API: ${gateway.url}/  sign-in token: ${gateway.signInToken}`);
    console.log(
      parsed.config.runtime === "knative"
        ? `runtime: knative, one Service per project in namespace ${parsed.config.worker.namespace}`
        : "runtime: local workers on this machine",
    );
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      gateway.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
}
