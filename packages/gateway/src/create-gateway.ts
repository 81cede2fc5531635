// The gateway, built from its ports in one place: the agent (reasoner, and the MCP tool client to
// wherever the runtime says a project's worker is) and the gateway app, over ONE State (SQLite in
// the data dir, or the PostgreSQL every replica shares). It returns a request listener and owns no
// server: `bod serve` routes the paths the runtime does not serve to it, `bod gateway` gives it a
// server of its own.
import { readFile, writeFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { createAgent, createMcpToolClient, createReasoner, type ReasonerConfig } from "@bod/agent";
import { createState, type State, UserExistsError } from "@bod/state";
import type { ArtifactStore } from "@bod/storage";
import { getRequestListener } from "@hono/node-server";
import { createLinkSigner } from "./auth/signed-links.ts";
import { createGatewayApp, type GatewayRateLimits } from "./http/gateway-app.ts";
import type { ProjectRuntime, ProjectToolEndpoints } from "./ports.ts";

export interface GatewayOptions {
  /** Where projects' workers run: the local activator (runtime-adapter.ts) or a cluster (cluster-runtime-adapter.ts). */
  runtime: ProjectRuntime & ProjectToolEndpoints;
  /** Where the projects' artifacts are kept: the same store the workers write (an S3 store when they are shared). */
  artifacts: Pick<ArtifactStore, "head" | "get" | "downloadUrl">;
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
  /** The runtime's idle timeout, milliseconds (for "going to sleep in N s"). */
  idleTimeoutMs: number;
  /** Offline planner (default) or an LLM. */
  reasoner?: ReasonerConfig;
  /** The workers run scripts (`--allow-scripts`), so an LLM reasoner is offered run_script. Default false. */
  allowScripts?: boolean;
  /** Name of the user signed in at start. Default "owner". */
  ownerName?: string;
  rateLimits?: Partial<GatewayRateLimits>;
  onError?: (error: unknown) => void;
}

export interface Gateway {
  /** Answers the gateway's paths: /api/..., the web UI at /. */
  listener: (req: IncomingMessage, res: ServerResponse) => void;
  /** The State the gateway and the agent share; closed by close(). */
  state: State;
  /** A token for the owner user, kept in `<data dir>/owner-token` (created with the user on first start). */
  ownerToken: string;
  close(): Promise<void>;
}

export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const state = options.state ?? (await createState({ url: options.stateUrl, dataDir: options.dataDir }));
  // A start that fails half-way must not leave the state's connections open.
  const closeState = async (error: unknown): Promise<never> => {
    await state.close();
    throw error;
  };
  const linkKey = await state.secret("artifact-links").catch(closeState);
  const { runtime } = options;
  const toolClient = createMcpToolClient({ endpoint: (projectId, signal) => runtime.toolEndpoint(projectId, signal) });
  const agent = createAgent({
    reasoner: createReasoner(options.reasoner ?? { kind: "planner" }, { allowScripts: options.allowScripts ?? false }),
    toolClient,
    store: state,
  });
  const app = createGatewayApp({
    state,
    agent,
    runtime,
    artifacts: options.artifacts,
    ...(options.artifactOrigins ? { artifactOrigins: options.artifactOrigins } : {}),
    signer: createLinkSigner({ key: linkKey }),
    idleTimeoutMs: options.idleTimeoutMs,
    ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const ownerToken = await ensureOwnerToken(state, options.dataDir, options.ownerName ?? "owner").catch(closeState);
  const listener = getRequestListener(app.fetch);
  return {
    listener: (req, res) => void listener(req, res),
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
