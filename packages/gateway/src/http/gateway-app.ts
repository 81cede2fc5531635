// The gateway's HTTP API and web UI as one hono app. Wrappers, outermost first, and why:
//   1. errors → problem+json (http/problem.ts), so every failure below has one shape and status map.
//   2. the web UI and /api/openapi.json, before auth: the browser needs the page to sign in at all.
//   3. authentication of /api: a bearer token, or a signed link on the artifact route only.
//   4. per-user rate limits, after auth so they count users rather than addresses; kept in the
//      State, so every replica draws on the same buckets.
//   5. the routes, each checking that the project belongs to the caller (another's is 404).
// A project's turn runs under its turn lease from the State, so two replicas never run turns of
// one project at once, and a cancel sent to any replica reaches the one running it.

import { hostname } from "node:os";
import { type Project, type State, StateUnavailableError, type User } from "@bod/state";
import { ArtifactStoreUnavailableError, artifactResponse, contentDispositionFor } from "@bod/storage";
import type { Context } from "hono";
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import { bearerToken } from "../auth/bearer-token.ts";
import { createRateLimiter, type RateLimit } from "../auth/rate-limiter.ts";
import type { LinkSigner } from "../auth/signed-links.ts";
import { DatabaseUnavailableError } from "../errors/database-unavailable-error.ts";
import { InvalidRequestError } from "../errors/invalid-request-error.ts";
import { NotAcceptableError } from "../errors/not-acceptable-error.ts";
import { NotFoundError } from "../errors/not-found-error.ts";
import { RateLimitedError } from "../errors/rate-limited-error.ts";
import { TurnInProgressError } from "../errors/turn-in-progress-error.ts";
import { UnauthorizedError } from "../errors/unauthorized-error.ts";
import { UnavailableError } from "../errors/unavailable-error.ts";
import { buildOpenApiDocument } from "../openapi.ts";
import type { AgentEvent, AgentMessage, AgentToolCall, AgentTurnResult, ProjectArtifacts, ProjectRuntime, TurnRunner } from "../ports.ts";
import {
  CreateProjectBodySchema,
  HistoryQuerySchema,
  MAX_MESSAGE_CHARS,
  PROJECT_NAME_RULE,
  ProjectIdSchema,
  SendMessageBodySchema,
} from "../schemas.ts";
import { type ArtifactLinker, createArtifactLinker } from "../turns/artifact-links.ts";
import { type BlenderBadge, badgeFor } from "../turns/instance-badge.ts";
import { problemResponse } from "./problem.ts";
import { readJsonBody } from "./read-body.ts";
import { createWebUi } from "./web-ui.ts";

export interface GatewayRateLimits {
  /** Every authenticated request. Default: bursts of 240, 4 per second after. */
  requests: RateLimit;
  /** Chat messages (each may wake Blender and render). Default: bursts of 20, one every 3 s after. */
  messages: RateLimit;
  /**
   * Requests refused for a missing or wrong token, per client address and per replica (in this
   * process's memory: traffic without a valid token never costs a database write). Default:
   * bursts of 60, one a second after.
   */
  authFailures: RateLimit;
}

export interface GatewayAppOptions {
  /** Users, projects, conversations, turn leases and rate limits (the same State the agent uses). */
  state: State;
  agent: TurnRunner;
  runtime: ProjectRuntime;
  /** Where artifacts are read; a store with URLs of its own (S3) has clients redirected there. */
  artifacts: ProjectArtifacts;
  /** Origins of those URLs (s3DownloadOrigin from @bod/storage), which the web UI may then load. */
  artifactOrigins?: readonly string[];
  signer: LinkSigner;
  /** The runtime's idle timeout, for "going to sleep in N s". Milliseconds. */
  idleTimeoutMs: number;
  rateLimits?: Partial<GatewayRateLimits>;
  /** Largest JSON body accepted. Default 64 KiB. */
  maxBodyBytes?: number;
  /** How often the project's instance is looked at while a turn waits for it to be ready, for instance-state events. Default 200 ms. */
  instancePollMs?: number;
  /** Serve the web UI at `/`. Default true. */
  webUi?: boolean;
  /** Names this replica in the turn leases it holds. Default: `<host name> pid <pid>`. */
  replicaName?: string;
  now?: () => number;
  onError?: (error: unknown, request: Request) => void;
}

type Env = { Variables: { user: User } };

const DEFAULT_LIMITS: GatewayRateLimits = {
  requests: { capacity: 240, refillPerSecond: 4 },
  messages: { capacity: 20, refillPerSecond: 1 / 3 },
  authFailures: { capacity: 60, refillPerSecond: 1 },
};

const ARTIFACT_ROUTE = /^\/api\/projects\/([^/]+)\/artifacts\/([^/]+)$/;
/** How long the store's own download URL (an S3 presigned URL) that the artifact route redirects to works, seconds. */
const DIRECT_URL_SECONDS = 3600;

export function createGatewayApp(options: GatewayAppOptions): Hono<Env> {
  const { state, agent, runtime, signer } = options;
  const now = options.now ?? Date.now;
  const limits = { ...DEFAULT_LIMITS, ...options.rateLimits };
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  const authFailureLimiter = createRateLimiter({ now });
  const replicaName = options.replicaName ?? `${hostname()} pid ${process.pid}`;
  const app = new Hono<Env>();

  app.onError((error, c) => {
    const response = problemResponse(error);
    if (response.status >= 500) options.onError?.(error, c.req.raw);
    return response;
  });
  app.notFound((c) =>
    problemResponse(new NotFoundError(`${c.req.method} ${c.req.path}`, { hint: "The API is described at /api/openapi.json." })),
  );

  app.get("/api/openapi.json", (c) => c.json(buildOpenApiDocument()));
  if (options.webUi !== false) app.route("/", createWebUi({ artifactOrigins: options.artifactOrigins ?? [] }));

  app.use("/api/*", async (c, next) => {
    const artifact = ARTIFACT_ROUTE.exec(c.req.path);
    const exp = c.req.query("exp");
    const sig = c.req.query("sig");
    if (artifact && c.req.method === "GET" && (exp !== undefined || sig !== undefined)) {
      if (!signer.verify(c.req.path, exp, sig))
        throw new UnauthorizedError("This link has expired or is not valid; ask for the artifact again.");
      return next();
    }
    const token = bearerToken(c.req.header("authorization"));
    const user = token ? await state.authenticate(token) : undefined;
    if (!user) {
      // Guessing tokens is hopeless (256 bits), but a client that keeps failing is slowed anyway.
      const address = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress;
      const wait = authFailureLimiter.take(`auth-failures:${address ?? "unknown"}`, limits.authFailures);
      if (wait > 0) throw new RateLimitedError(wait, `${limits.authFailures.capacity} refused requests in a burst`);
      throw new UnauthorizedError();
    }
    c.set("user", user);
    const wait = await state.takeRateLimit(`requests:${user.id}`, limits.requests);
    if (wait > 0) throw new RateLimitedError(wait, `${limits.requests.capacity} requests in a burst`);
    return next();
  });

  /** The caller's project, or 404 whether it does not exist or belongs to someone else. */
  async function ownedProject(c: Context<Env>): Promise<Project> {
    const id = c.req.param("id") ?? "";
    const project = ProjectIdSchema.safeParse(id).success ? await state.getProject(c.get("user").id, id) : undefined;
    if (!project) throw new NotFoundError(`Project "${id.slice(0, 80)}"`);
    return project;
  }

  async function badge(projectId: string): Promise<BlenderBadge> {
    return badgeFor(await runtime.instance(projectId), options.idleTimeoutMs, now());
  }

  const projectView = async (project: Project) => ({
    id: project.id,
    name: project.name,
    createdAt: project.createdAt,
    instance: await badge(project.id),
  });

  const originOf = (c: Context) => new URL(c.req.url).origin;

  app.get("/api/me", (c) => {
    const user = c.get("user");
    return c.json({ id: user.id, name: user.name });
  });

  app.post("/api/projects", async (c) => {
    const body = await readJsonBody(c.req.raw, CreateProjectBodySchema, {
      limitBytes: maxBodyBytes,
      allowed: `{"name": string of ${PROJECT_NAME_RULE}}`,
    });
    const project = await state.createProject(c.get("user").id, body.name);
    return c.json(await projectView(project), 201, { location: `/api/projects/${project.id}` });
  });

  app.get("/api/projects", async (c) => {
    const projects = await state.listProjects(c.get("user").id);
    return c.json({ projects: await Promise.all(projects.map(projectView)) });
  });

  app.get("/api/projects/:id", async (c) => c.json(await projectView(await ownedProject(c))));

  app.get("/api/projects/:id/instance", async (c) => c.json(await badge((await ownedProject(c)).id)));

  app.delete("/api/projects/:id", async (c) => {
    const project = await ownedProject(c);
    // Its worker, scene and artifacts go first: should a store be down (503), the project is still
    // there to delete again, rather than forgotten with its files left behind. Then the State
    // cancels a running turn on whichever replica runs it, waits for it to stop, and removes the
    // project with its conversation in one transaction (409 when the turn would not stop). Last,
    // whatever that turn stored meanwhile goes too.
    await runtime.release(project.id);
    await state.deleteProject(project.id);
    await runtime.release(project.id);
    return c.body(null, 204);
  });

  app.get("/api/projects/:id/messages", async (c) => {
    const project = await ownedProject(c);
    const query = HistoryQuerySchema.safeParse(c.req.query());
    if (!query.success)
      throw new InvalidRequestError(
        `Bad query (${z.prettifyError(query.error).replaceAll("\n", " ")}). Allowed: limit=1..500, before=<message id>.`,
      );
    const messages = await state.listMessages(project.id, {
      limit: query.data.limit ?? 100,
      ...(query.data.before ? { beforeId: query.data.before } : {}),
    });
    const linker = createArtifactLinker(project.id, originOf(c), signer);
    return c.json({ messages: messages.map((message) => messageView(message, linker)) });
  });

  app.post("/api/projects/:id/messages", async (c) => {
    const project = await ownedProject(c);
    const accept = c.req.header("accept") ?? "*/*";
    const wantsStream = /\btext\/event-stream\b/i.test(accept);
    if (!wantsStream && !/application\/json|application\/\*|\*\/\*/i.test(accept))
      throw new NotAcceptableError(["text/event-stream", "application/json"]);
    const body = await readJsonBody(c.req.raw, SendMessageBodySchema, {
      limitBytes: maxBodyBytes,
      allowed: `{"text": string of 1 to ${MAX_MESSAGE_CHARS} characters}`,
    });
    const user = c.get("user");
    const wait = await state.takeRateLimit(`messages:${user.id}`, limits.messages);
    if (wait > 0) throw new RateLimitedError(wait, `${limits.messages.capacity} messages in a burst`);
    // Held (on this replica or another) while a turn of the project runs: 409.
    const lease = await state.tryAcquireTurn(project.id, { holder: `${replicaName}, user ${user.id}` });
    if (!lease) throw new TurnInProgressError(project.id);
    // Deleting a project takes its lock too, so a project still here now stays until this turn ends.
    const stillThere = await state.getProject(user.id, project.id).catch(async (error) => {
      await lease.release();
      throw error;
    });
    if (!stillThere) {
      await lease.release();
      throw new NotFoundError(`Project "${project.id}"`);
    }
    // Aborts on a cancel sent to any replica, on the project's deletion, or when the lease is lost.
    const signal = lease.cancelled;
    const linker = createArtifactLinker(project.id, originOf(c), signer);

    if (!wantsStream) {
      try {
        const result = await agent.runTurn({ projectId: project.id, text: body.text, signal });
        return c.json({ ...turnView(result, linker), instance: await badge(project.id) });
      } finally {
        await lease.release();
      }
    }

    return streamSSE(c, async (stream) => {
      let eventId = 0;
      let chain = Promise.resolve();
      // Events arrive synchronously from the agent; writes are queued so they go out in order.
      const send = (event: AgentEvent) => {
        const id = String(++eventId);
        chain = chain.then(() => stream.writeSSE({ event: event.type, id, data: JSON.stringify(linker.rewrite(event)) }).catch(() => {}));
      };
      const watcher = watchInstance(project.id, send);
      const onEvent = (event: AgentEvent) => {
        send(event);
        if (event.type === "tool-call-end") watcher.nudge();
      };
      const heartbeat = setInterval(() => {
        chain = chain.then(() =>
          stream
            .write(": keep-alive\n\n")
            .then(() => {})
            .catch(() => {}),
        );
      }, 15_000);
      try {
        const result = await agent.runTurn({ projectId: project.id, text: body.text, signal, onEvent });
        watcher.stop();
        send({ type: "instance-state", ...(await badge(project.id)) });
        send({ type: "turn", ...turnView(result, linker) });
      } catch (error) {
        watcher.stop();
        options.onError?.(error, c.req.raw);
        if (error instanceof StateUnavailableError) {
          const problem = new DatabaseUnavailableError(error.retryAfterSeconds);
          send({ type: "error", code: problem.code, message: problem.message, retryAfterSeconds: error.retryAfterSeconds });
        } else send({ type: "error", code: "internal", message: "The turn failed unexpectedly; the server log has the details." });
      } finally {
        clearInterval(heartbeat);
        await lease.release();
        await chain;
      }
    });
  });

  app.delete("/api/projects/:id/turn", async (c) => {
    const project = await ownedProject(c);
    // Reaches the turn on whichever replica runs it; the agent stops before its next step or tool
    // call and cancels the call in flight.
    if (!(await state.requestCancel(project.id, "Cancelled by the user."))) throw new NotFoundError("A running turn of this project");
    return c.body(null, 202);
  });

  app.get("/api/projects/:id/artifacts/:artifactId", async (c) => {
    const projectId = c.req.param("id");
    const artifactId = c.req.param("artifactId");
    // A signed link names its project in the signed path; a bearer caller must own the project.
    if (c.get("user")) await ownedProject(c);
    if (!ProjectIdSchema.safeParse(projectId).success) throw new NotFoundError("Artifact");
    try {
      // A store with download URLs of its own (S3 presigned): the client fetches the bytes there,
      // not through this replica. Otherwise (the filesystem) the gateway streams them, ranges too.
      const direct = await options.artifacts.downloadUrl(projectId, artifactId, { expiresInSeconds: DIRECT_URL_SECONDS });
      if (direct) {
        // Cached for half the URL's life, so a cached redirect never leads to an expired URL.
        c.header("cache-control", `private, max-age=${DIRECT_URL_SECONDS / 2}`);
        return c.redirect(direct, 302);
      }
      const response = await artifactResponse(options.artifacts, projectId, artifactId, {
        range: c.req.header("range"),
        method: c.req.method,
        headers: (artifact) => ({
          "cache-control": "private, max-age=86400",
          "x-content-type-options": "nosniff",
          "content-disposition": contentDispositionFor(artifact),
        }),
      });
      if (!response) throw new NotFoundError("Artifact");
      return response;
    } catch (error) {
      if (error instanceof ArtifactStoreUnavailableError) throw new UnavailableError(error.message, error.retryAfterSeconds);
      throw error;
    }
  });

  /**
   * Reports the project's instance state while a turn runs, whenever it changes, until it is ready:
   * a ready instance stays ready while the turn's calls are in flight, and each look costs the
   * runtime a walk of /proc (it measures memory), so looking stops there. `nudge` looks at once
   * (a tool call just ended, so the instance is likely ready).
   */
  function watchInstance(projectId: string, send: (event: AgentEvent) => void): { stop(): void; nudge(): void } {
    let last: string | undefined;
    let stopped = false;
    let looking = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const look = async () => {
      looking = true;
      const current = await badge(projectId).catch(() => undefined);
      looking = false;
      if (stopped) return;
      if (current && current.state !== last) {
        last = current.state;
        send({ type: "instance-state", ...current });
      }
      if (last !== "ready") timer = setTimeout(look, options.instancePollMs ?? 200);
    };
    // Not awaited: the turn starts (and its first event goes out) without waiting for the runtime.
    void look();
    return {
      stop() {
        stopped = true;
        clearTimeout(timer);
      },
      nudge() {
        if (stopped || looking || last === "ready") return;
        clearTimeout(timer);
        void look();
      },
    };
  }

  return app;
}

function toolCallView(call: AgentToolCall, linker: ArtifactLinker) {
  return {
    id: call.id,
    name: call.name,
    arguments: call.arguments,
    ...(call.result === undefined ? {} : { result: linker.rewrite(call.result) }),
    ...(call.error ? { error: call.error } : {}),
    durationMs: call.durationMs,
  };
}

function turnView(result: AgentTurnResult, linker: ArtifactLinker) {
  return {
    turnId: result.turnId,
    status: result.status,
    reply: linker.rewrite(result.reply),
    toolCalls: result.toolCalls.map((call) => toolCallView(call, linker)),
    artifacts: result.artifacts.flatMap((artifact) => linker.view(artifact) ?? []),
    ...(result.error ? { error: result.error } : {}),
  };
}

function messageView(message: AgentMessage, linker: ArtifactLinker) {
  return {
    id: message.id,
    role: message.role,
    text: linker.rewrite(message.text),
    turnId: message.turnId,
    createdAt: message.createdAt,
    toolCalls: message.toolCalls.map((call) => toolCallView(call, linker)),
    artifacts: message.artifacts.flatMap((artifact) => linker.view(artifact) ?? []),
  };
}
