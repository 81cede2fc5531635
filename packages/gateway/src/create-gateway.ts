// The gateway inside `bod serve`: builds the agent (reasoner, MCP tool client to this server's
// runtime routes) and the gateway app over ONE State (SQLite in the data dir, or the PostgreSQL
// that every replica shares), and shares the runtime's HTTP server with them.
// The runtime keeps /healthz, /projects/{id}/mcp, /projects/{id}/artifacts, /api/instances and
// /metrics behind its own token; every other path (the API for users, the web UI) is the gateway's.
import { readFile, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import { join } from "node:path";
import { createAgent, createMcpToolClient, createReasoner, type ReasonerConfig } from "@bod/agent";
import { createProjectArtifactStore } from "@bod/runtime";
import { createState, type State, UserExistsError } from "@bod/state";
import type { ArtifactStore, SceneStore } from "@bod/storage";
import { getRequestListener } from "@hono/node-server";
import { createLinkSigner } from "./auth/signed-links.ts";
import { createGatewayApp, type GatewayRateLimits } from "./http/gateway-app.ts";
import { createRuntimeAdapter, type LocalRuntimeLike } from "./runtime-adapter.ts";

export interface AttachGatewayOptions {
  /** The runtime's local activator. */
  runtime: LocalRuntimeLike;
  /**
   * Where the projects' artifacts are kept: the same store the runtime and workers use (an S3
   * store when they are shared). Default: the files under the runtime's project folders.
   */
  artifacts?: ArtifactStore;
  /**
   * The shared scene store (PostgreSQL + S3) when scenes do not live in the project folders:
   * deleting a project deletes its scene there too.
   */
  scenes?: Pick<SceneStore, "deleteProject">;
  /** Origins of the artifact store's download URLs (s3DownloadOrigin), which the web UI may load. */
  artifactOrigins?: readonly string[];
  /** Holds `owner-token`, and `bod.sqlite` (users, projects, conversations) unless `stateUrl` names PostgreSQL. */
  dataDir: string;
  /**
   * Where users, projects, conversations, turn leases and rate limits live: a `postgres://` URL
   * shared by every replica (password in PGPASSWORD), or undefined for `<dataDir>/bod.sqlite`.
   */
  stateUrl?: string | undefined;
  /** A State opened already (e.g. checked before any worker started); used instead of `stateUrl`, and closed by close(). */
  state?: State;
  /** This server's base URL, e.g. `http://127.0.0.1:7800`: the agent calls tools at `<it>/projects/{id}/mcp`. */
  runtimeUrl: string;
  /** The runtime's bearer token, for the agent's tool calls. */
  runtimeToken: string;
  /** The runtime's idle timeout, milliseconds (for "going to sleep in N s"). */
  idleTimeoutMs: number;
  /** Offline planner (default) or an LLM. */
  reasoner?: ReasonerConfig;
  /** Name of the user `bod serve` signs in at start. Default "owner". */
  ownerName?: string;
  rateLimits?: Partial<GatewayRateLimits>;
  onError?: (error: unknown) => void;
}

export interface AttachedGateway {
  /** The State the gateway and the agent share; closed by close(). */
  state: State;
  /** A token for the owner user, kept in `<data dir>/owner-token` (created with the user on first start). */
  ownerToken: string;
  close(): Promise<void>;
}

/** Paths the runtime answers itself; everything else goes to the gateway. */
export function isRuntimePath(path: string): boolean {
  return (
    path === "/healthz" ||
    path === "/metrics" ||
    path.startsWith("/projects/") ||
    path === "/api/instances" ||
    path.startsWith("/api/instances/")
  );
}

export async function attachGateway(server: Server, options: AttachGatewayOptions): Promise<AttachedGateway> {
  const state = options.state ?? (await createState({ url: options.stateUrl, dataDir: options.dataDir }));
  // A start that fails half-way must not leave the state's connections open.
  const closeState = async (error: unknown): Promise<never> => {
    await state.close();
    throw error;
  };
  const linkKey = await state.secret("artifact-links").catch(closeState);
  const toolClient = createMcpToolClient({ url: `${options.runtimeUrl}/projects/{projectId}/mcp`, token: options.runtimeToken });
  const agent = createAgent({ reasoner: createReasoner(options.reasoner ?? { kind: "planner" }), toolClient, store: state });
  const artifacts = options.artifacts ?? createProjectArtifactStore((projectId) => options.runtime.projectDirOf(projectId));
  const runtime = createRuntimeAdapter(options.runtime, artifacts, options.scenes);
  const app = createGatewayApp({
    state,
    agent,
    runtime,
    artifacts,
    ...(options.artifactOrigins ? { artifactOrigins: options.artifactOrigins } : {}),
    signer: createLinkSigner({ key: linkKey }),
    idleTimeoutMs: options.idleTimeoutMs,
    ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const ownerToken = await ensureOwnerToken(state, options.dataDir, options.ownerName ?? "owner").catch(closeState);

  const gatewayListener = getRequestListener(app.fetch);
  const runtimeListeners = server.listeners("request") as Array<(...args: unknown[]) => void>;
  server.removeAllListeners("request");
  server.on("request", (req, res) => {
    const url = req.url ?? "/";
    const queryAt = url.indexOf("?");
    const path = queryAt < 0 ? url : url.slice(0, queryAt);
    if (isRuntimePath(path)) for (const listener of runtimeListeners) listener.call(server, req, res);
    else void gatewayListener(req, res);
  });

  return {
    state,
    ownerToken,
    async close() {
      await toolClient.close().catch(() => {});
      await state.close();
    },
  };
}

/** The owner's token from `<data dir>/owner-token` while it still signs in; else a new one (and the user when missing). */
async function ensureOwnerToken(state: State, dataDir: string, name: string): Promise<string> {
  const file = join(dataDir, "owner-token");
  const saved = (await readFile(file, "utf8").catch(() => "")).trim();
  if (saved && (await state.authenticate(saved))?.name === name) return saved;
  const existing = await state.findUserByName(name);
  const token = existing
    ? await state.issueToken(existing.id)
    : await state.createUser(name).then(
        (created) => created.token,
        async (error) => {
          // Another replica sharing the state created the owner meanwhile.
          const created = error instanceof UserExistsError ? await state.findUserByName(name) : undefined;
          if (!created) throw error;
          return state.issueToken(created.id);
        },
      );
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return token;
}
