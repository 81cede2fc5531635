// `bod worker`: one headless Blender behind the MCP server, over HTTP or stdio. Under the
// runtime (a Node IPC channel is present) it reports its start phases and obeys bind/drain.

import type { RuntimeToWorker, WorkerToRuntime } from "@bod/worker";
import { type Command, Option } from "commander";
import type { Logger } from "pino";
import { createLogger } from "../logger.ts";
import type { StorageUrls } from "../storage-flags.ts";

const flagsSchema = (z: typeof import("zod").z, projectIdPattern: RegExp) =>
  z.object({
    port: z.coerce.number().int().min(0).max(65535).default(7801),
    host: z.string().min(1).default("127.0.0.1"),
    socket: z.string().min(1).optional(),
    dataDir: z.string().min(1).optional(),
    projectId: z
      .string()
      .regex(
        projectIdPattern,
        "a project id: 1 to 63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit",
      )
      .optional(),
    deferBind: z.boolean().default(false),
    stdio: z.boolean().default(false),
    publicUrl: z.url().optional(),
    allowedHost: z.array(z.string()).default([]),
    blender: z.string().optional(),
    allowScripts: z.boolean().default(false),
    stateUrl: z.string().optional(),
    artifactUrl: z.string().optional(),
    // Read by main.ts before the parser runs; declared so the parser accepts them.
    adoptBlender: z.coerce.number().int().positive().optional(),
    bridgeChannel: z.string().min(1).optional(),
  });

function send(message: WorkerToRuntime): void {
  process.send?.(message);
}

/**
 * The shared stores the flags or the runtime's environment name: artifacts in S3 when there is an
 * `s3://` URL, and the scene there too (journal in PostgreSQL) when there is also a `postgres://`
 * one. Without them the worker keeps both in its data dir. Loaded only when configured: the AWS
 * SDK costs a worker's start-up time it does not need otherwise.
 */
async function openWorkerStores(urls: StorageUrls, logger: Logger) {
  if (!urls.artifactLocation) return {};
  const { createPostgresS3SceneStore, createS3ArtifactStore } = await import("@bod/storage/scale-out");
  const artifactStore = createS3ArtifactStore({ location: urls.artifactLocation });
  if (!urls.stateUrl) return { artifactStore };
  const sceneStore = createPostgresS3SceneStore({
    postgresUrl: urls.stateUrl,
    s3: urls.artifactLocation,
    onError: (error) => logger.warn({ err: error }, "the scene journal's database dropped a connection"),
  });
  return { artifactStore, sceneStore };
}

/**
 * The flags with what a container's environment supplies where a flag is absent: BOD_PROJECT_ID
 * for --project-id, and BOD_ALLOWED_HOSTS (comma-separated) added to --allowed-host, so that a
 * pod's own host names can come from its spec without rewriting the image's command.
 */
export function withEnvironmentDefaults<Flags extends { projectId?: string; allowedHost?: string[] }>(
  flags: Flags,
  env: Record<string, string | undefined>,
): Flags {
  const projectId = flags.projectId ?? (env.BOD_PROJECT_ID || undefined);
  const fromEnv = (env.BOD_ALLOWED_HOSTS ?? "")
    .split(",")
    .map((host) => host.trim())
    .filter((host) => host !== "");
  const allowedHost = [...(flags.allowedHost ?? []), ...fromEnv];
  return { ...flags, ...(projectId !== undefined ? { projectId } : {}), ...(allowedHost.length > 0 ? { allowedHost } : {}) };
}

/** The isolations a worker may run scripts under: the runtime's bubblewrap sandbox, or a microVM pod. */
export const SCRIPT_ISOLATIONS = ["bubblewrap", "microvm"] as const;

/**
 * run_script's sandbox when scripts are allowed: only in a worker that is itself isolated (the
 * runtime or the Knative Service says so in BOD_WORKER_ISOLATION), and only where the nested
 * sandbox works, which a probe run checks now rather than at the first script.
 */
export async function scriptSandboxFor(
  allowScripts: boolean,
  blenderPath: string,
  env: Record<string, string | undefined>,
): Promise<{ ok: true; sandbox?: import("@bod/worker").ResolvedScriptSandbox } | { ok: false; message: string }> {
  if (!allowScripts) return { ok: true };
  const isolation = env.BOD_WORKER_ISOLATION;
  if (!SCRIPT_ISOLATIONS.includes(isolation as (typeof SCRIPT_ISOLATIONS)[number]))
    return {
      ok: false,
      message: `--allow-scripts needs an isolated worker: one that bod serve or bod gateway --runtime local runs in bubblewrap, or a Knative Service with a microVM runtime class; they set BOD_WORKER_ISOLATION to ${SCRIPT_ISOLATIONS.join(" or ")}${isolation ? ` (it is ${JSON.stringify(isolation)})` : " (it is unset)"}.`,
    };
  const [{ openScriptSandbox }, { tmpdir }] = await Promise.all([import("@bod/worker"), import("node:os")]);
  try {
    return { ok: true, sandbox: openScriptSandbox({ blenderPath }, tmpdir()) };
  } catch (error) {
    return { ok: false, message: `--allow-scripts: ${(error as Error).message}` };
  }
}

export function registerWorkerCommand(program: Command): void {
  program
    .command("worker")
    .description("Run one headless Blender behind an MCP server (HTTP at /mcp, legacy SSE at /sse, or stdio).")
    .option("--port <port>", "TCP port; 0 picks a free one", "7801")
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--socket <path>", "listen on this Unix socket instead of TCP (give --public-url for artifact links)")
    .option("--data-dir <dir>", "the project's folder: scene snapshot, journal, artifacts")
    .option("--project-id <id>", "the project this worker serves (keys its scene and artifacts in shared stores; also BOD_PROJECT_ID)")
    .option("--defer-bind", "start Blender now and wait for the runtime to bind a project (warm pool)")
    .option("--stdio", "serve MCP over stdin/stdout instead of HTTP")
    .option("--public-url <url>", "base URL clients use to reach this worker (artifact links)")
    .option("--allowed-host <host...>", "extra Host names to answer besides loopback (also BOD_ALLOWED_HOSTS, comma-separated)")
    .option("--blender <path>", "Blender executable, or a Python with the bpy module (default: BLENDER_PATH or blender on PATH)")
    .option(
      "--allow-scripts",
      "offer run_script: Python against bpy in a nested sandbox (also BOD_ALLOW_SCRIPTS=1); needs an isolated worker (BOD_WORKER_ISOLATION=bubblewrap or microvm)",
    )
    .option(
      "--state-url <url>",
      "PostgreSQL for the scene journal (with --artifact-url): postgres://USER@HOST:PORT/DB (also BOD_STATE_URL)",
    )
    .option(
      "--artifact-url <url>",
      "S3 bucket for artifacts and scene snapshots: s3://BUCKET[/PREFIX]?endpoint=URL&region=R&forcePathStyle=true (also BOD_ARTIFACT_URL)",
    )
    .addOption(new Option("--adopt-blender <pid>", "take over the Blender `bod serve` started just before this worker").hideHelp())
    .addOption(new Option("--bridge-channel <prefix>", "the path prefix of that Blender's FIFOs").hideHelp())
    .action(async (rawFlags: { blender?: string; projectId?: string; allowedHost?: string[] }) => {
      // Blender has been booting since `bod` started (main.ts); Node loads the rest meanwhile.
      const { takeEarlyBlender } = await import("@bod/worker/early-blender");
      const blenderPath = rawFlags.blender ?? process.env.BLENDER_PATH ?? "blender";
      const earlyBlender = takeEarlyBlender(blenderPath);
      const [{ z }, { PROJECT_ID_PATTERN }] = await Promise.all([import("zod"), import("@bod/contracts")]);
      const parsed = flagsSchema(z, PROJECT_ID_PATTERN).safeParse(withEnvironmentDefaults(rawFlags, process.env));
      if (!parsed.success) {
        earlyBlender.discard();
        const fromEnvironment =
          rawFlags.projectId === undefined && process.env.BOD_PROJECT_ID ? " (--project-id came from BOD_PROJECT_ID)" : "";
        console.error(`bod worker: ${z.prettifyError(parsed.error)}${fromEnvironment}`);
        process.exit(2);
      }
      const flags = parsed.data;
      if (!flags.dataDir && !flags.deferBind) {
        earlyBlender.discard();
        console.error("bod worker: --data-dir is required (or --defer-bind for a pool worker).");
        process.exit(2);
      }
      const { parseStorageUrls } = await import("../storage-flags.ts");
      const storage = parseStorageUrls(flags, process.env);
      if (!storage.ok) {
        earlyBlender.discard();
        console.error(`bod worker: ${storage.message}`);
        process.exit(2);
      }
      const scripts = await scriptSandboxFor(flags.allowScripts || process.env.BOD_ALLOW_SCRIPTS === "1", blenderPath, process.env);
      if (!scripts.ok) {
        earlyBlender.discard();
        console.error(`bod worker: ${scripts.message}`);
        process.exit(2);
      }
      const logger = createLogger();
      const stores = await openWorkerStores(storage.urls, logger);
      // Loaded here so `bod --help` and other commands don't pay for the MCP server's imports.
      const { serveWorkerOverStdio, startWorker } = await import("@bod/worker");
      const worker = await startWorker({
        host: flags.host,
        port: flags.port,
        ...(flags.socket ? { socketPath: flags.socket } : {}),
        serveHttp: !flags.stdio,
        ...(flags.dataDir ? { dataDir: flags.dataDir } : {}),
        ...(flags.projectId ? { projectId: flags.projectId } : {}),
        deferBind: flags.deferBind,
        ...(flags.publicUrl ? { publicUrl: flags.publicUrl } : {}),
        allowedHostnames: flags.allowedHost,
        blenderPath,
        ...(scripts.sandbox ? { scriptSandbox: scripts.sandbox } : {}),
        spawn: earlyBlender.spawn,
        ...stores,
        // Deleted on another replica: nothing is left to serve or save; end, as after a drain.
        onProjectDeleted: () => drainAndExit(),
        logger,
      });

      if (flags.stdio) {
        const handle = serveWorkerOverStdio(worker);
        process.stdin.on(
          "end",
          () =>
            void handle
              .close()
              .then(() => worker.drain())
              .then(() => process.exit(0)),
        );
      } else {
        send({ type: "listening", port: worker.port, pid: process.pid });
        send({ type: "ready", bound: !flags.deferBind, phases: worker.phases, blenderPid: worker.blenderPid });
        console.error(`worker ready: MCP at ${flags.socket ? `unix:${flags.socket}` : `http://${flags.host}:${worker.port}`}/mcp`);
      }

      let draining = false;
      const drainAndExit = () => {
        if (draining) return;
        draining = true;
        worker.drain().then(
          (result) => {
            send({ type: "drained", savedMs: result.savedMs });
            process.exit(0);
          },
          (error) => {
            logger.error({ err: error }, "drain failed");
            process.exit(1);
          },
        );
      };
      process.on("SIGTERM", drainAndExit);
      process.on("SIGINT", drainAndExit);
      process.on("disconnect", drainAndExit);
      process.on("message", (message: RuntimeToWorker) => {
        if (message.type === "drain") drainAndExit();
        if (message.type === "bind") {
          worker
            .bind({
              projectId: message.projectId,
              dataDir: message.dataDir,
              ...(message.publicUrl ? { publicUrl: message.publicUrl } : {}),
            })
            .then(
              (result) => send({ type: "bound", dataDir: message.dataDir, sceneRestoreMs: result.sceneRestoreMs }),
              (error: Error) => send({ type: "bind-failed", message: error.message }),
            );
        }
      });
    });
}
