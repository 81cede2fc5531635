// The HTTP front of `bod serve`. Wrappers, outermost first, and why each sits where it does:
//   1. /healthz, before auth: load balancers and scripts probe it without credentials.
//   2. authentication, the one place it is checked: nothing below runs for an unknown caller.
//   3. /projects/{id}/mcp on raw node:http (the hot path, proxy.ts): no per-request framework
//      work between the client and the worker, and streaming without buffering.
//   4. everything else (instances, artifacts, metrics) through hono.
// Every error, on either path, is answered by problem.ts as problem+json.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type ArtifactStore, artifactResponse } from "@bod/storage";
import { getRequestListener } from "@hono/node-server";
import { Hono } from "hono";
import type { Logger } from "pino";
import { InvalidProjectIdError } from "../errors/invalid-project-id-error.ts";
import { NotFoundError } from "../errors/not-found-error.ts";
import { UnauthorizedError } from "../errors/unauthorized-error.ts";
import type { RuntimeMetrics } from "../metrics.ts";
import { isProjectId } from "../project-id.ts";
import type { Runtime } from "../runtime.ts";
import type { Authenticator } from "./auth.ts";
import { problemFor, problemResponse, sendProblem } from "./problem.ts";
import { createWorkerProxy } from "./proxy.ts";

export interface RuntimeServerOptions {
  runtime: Runtime;
  authenticator: Authenticator;
  metrics: RuntimeMetrics;
  /**
   * Where the projects' artifacts are read from: files under each project's folder (which
   * follow the folder when it moves into a worker's sandbox), or the shared S3 store.
   */
  artifacts: ArtifactStore;
  /** Warm pool counts for /api/instances, when the runtime has a pool. */
  poolStatus?: () => { size: number; warming: number; idle: number };
  logger?: Logger;
}

const MCP_PATH = /^\/projects\/([^/]+)\/mcp\/?$/;

/** Paths the runtime answers: health, metrics, projects' MCP endpoints and artifacts, instances. */
export function isRuntimePath(path: string): boolean {
  return (
    path === "/healthz" ||
    path === "/metrics" ||
    path.startsWith("/projects/") ||
    path === "/api/instances" ||
    path.startsWith("/api/instances/")
  );
}

/** The runtime's routes as a request listener, for a server that also serves other routes (`bod serve`). */
export interface RuntimeRequestHandler {
  listener: (req: IncomingMessage, res: ServerResponse) => void;
  /** Closes the connections to workers the proxy keeps. */
  close(): Promise<void>;
}

export function createRuntimeServer(options: RuntimeServerOptions): Server {
  const handler = createRuntimeRequestHandler(options);
  const server = createServer(handler.listener);
  server.on("close", () => void handler.close());
  // Tool calls (renders) may run for minutes; the worker enforces its own timeouts.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 65_000;
  return server;
}

export function createRuntimeRequestHandler(options: RuntimeServerOptions): RuntimeRequestHandler {
  const { runtime, logger } = options;
  const { proxy, client } = createWorkerProxy({ runtime, metrics: options.metrics, ...(logger ? { logger } : {}) });
  const api = createApiApp(options);
  const apiListener = getRequestListener(api.fetch);

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? "/";
    const queryAt = url.indexOf("?");
    const path = queryAt < 0 ? url : url.slice(0, queryAt);
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"ok":true}');
      return;
    }
    if (!options.authenticator.authenticate(authorizationOf(req))) {
      req.resume();
      return sendProblem(res, new UnauthorizedError());
    }
    const mcp = MCP_PATH.exec(path);
    if (mcp) {
      const projectId = decodeURIComponent(mcp[1]!);
      if (!isProjectId(projectId)) return sendProblem(res, new InvalidProjectIdError(projectId));
      void proxy(req, res, projectId, queryAt < 0 ? "/mcp" : `/mcp${url.slice(queryAt)}`);
      return;
    }
    apiListener(req, res);
  };
  return { listener, close: async () => client.close() };
}

/**
 * The request's Authorization header, read from its raw headers: `req.headers` would build the
 * whole header object on every request only to read this one field.
 */
function authorizationOf(req: IncomingMessage): string | undefined {
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 13 && raw[i]!.toLowerCase() === "authorization") return raw[i + 1];
  return undefined;
}

function createApiApp(options: RuntimeServerOptions): Hono {
  const { runtime } = options;
  const app = new Hono();

  app.get("/api/instances", async (c) =>
    c.json({ instances: await runtime.list(), ...(options.poolStatus ? { pool: options.poolStatus() } : {}) }),
  );
  app.get("/api/instances/:projectId", async (c) => {
    const projectId = c.req.param("projectId");
    if (!isProjectId(projectId)) throw new InvalidProjectIdError(projectId);
    const found = (await runtime.list()).find((instance) => instance.projectId === projectId);
    if (!found) throw new NotFoundError("not_found", `No instance has run for "${projectId}".`, { projectId });
    return c.json(found);
  });
  app.post("/api/instances/:projectId/drain", async (c) => {
    const projectId = c.req.param("projectId");
    await runtime.drain(projectId);
    return c.json({ drained: projectId });
  });
  app.post("/api/instances/:projectId/start", async (c) => {
    await runtime.start(c.req.param("projectId"));
    return c.json((await runtime.list()).find((instance) => instance.projectId === c.req.param("projectId")));
  });
  // Artifacts come straight from the store: no worker needs to run to fetch a render.
  app.get("/projects/:projectId/artifacts/:artifactId", async (c) => {
    const projectId = c.req.param("projectId");
    if (!isProjectId(projectId)) throw new InvalidProjectIdError(projectId);
    // A store that is down throws ArtifactStoreUnavailableError: a 503 with Retry-After (problem.ts).
    const response = await artifactResponse(options.artifacts, projectId, c.req.param("artifactId"), {
      range: c.req.header("range"),
      method: c.req.method,
      // Ids are never reused, so an artifact never changes.
      headers: () => ({ "cache-control": "private, max-age=31536000, immutable" }),
    });
    if (!response) throw new NotFoundError("artifact_not_found", "No such artifact in this project.");
    return response;
  });
  app.get("/metrics", async (c) => {
    const registry = options.metrics.registry;
    return c.body(await registry.metrics(), 200, { "content-type": registry.contentType });
  });
  app.notFound((c) =>
    problemResponse(
      new NotFoundError(
        "not_found",
        `No route for ${c.req.method} ${c.req.path}. A project's MCP endpoint is /projects/{projectId}/mcp; instances are at /api/instances.`,
      ),
    ),
  );
  app.onError((error) => {
    // Refusals (a bad id, a full runtime) are answers, not failures: only the unexpected is logged as one.
    if (problemFor(error).status === 500) options.logger?.error({ err: error }, "api request failed");
    return problemResponse(error);
  });
  return app;
}
