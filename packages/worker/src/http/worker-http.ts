// The worker's HTTP face: /healthz, MCP over Streamable HTTP at /mcp (2026-07-28 plus the
// stateless 2025 fallback, one handler), the legacy HTTP+SSE transport at /sse + /messages,
// and stored artifacts under /artifacts/{id} (with Range requests). Every error the worker answers
// itself (a refused host, a route or artifact it lacks, draining) is problem+json from problem.ts;
// MCP's JSON-RPC errors on /mcp are the SDK's.
import { rm } from "node:fs/promises";
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { MAX_MCP_REQUEST_BYTES } from "@bod/contracts";
import { type ArtifactStore, artifactResponse } from "@bod/storage";
import { getRequestListener } from "@hono/node-server";
import type { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js";
import { createMcpHandler, type McpRequestContext, type McpServer } from "@modelcontextprotocol/server";
import { Hono } from "hono";
import type { Logger } from "pino";
import { MethodNotAllowedError } from "../errors/method-not-allowed-error.ts";
import { NotAdmittingError } from "../errors/not-admitting-error.ts";
import { NotFoundError } from "../errors/not-found-error.ts";
import { problemFor, problemResponse, sendProblem } from "./problem.ts";
import { createRequestGuard } from "./request-guard.ts";

/** Largest MCP request body: the contracts' MAX_MCP_REQUEST_BYTES (a largest upload as base64, plus the envelope). */
export const MAX_MCP_BODY_BYTES = MAX_MCP_REQUEST_BYTES;

export interface WorkerHttpOptions {
  /**
   * Gives the MCP server for one Streamable HTTP request (the SDK's factory, told the request's
   * protocol era) or for one legacy SSE connection (a 2025-era server, kept for the connection).
   */
  createServer: (context: McpRequestContext) => McpServer;
  /** The store and project whose artifacts /artifacts/{id} serves; undefined until the worker is bound. */
  artifacts: () => { store: ArtifactStore; projectId: string } | undefined;
  /** What /healthz reports; 200 only when `ready`. `blenderVersion` ("4.5.3") once Blender has started. */
  health: () => { ready: boolean; state: string; bound: boolean; blenderPid: number | undefined; blenderVersion?: string | undefined };
  /** Refuses new MCP work while draining (the runtime holds and re-routes it). */
  admitting: () => boolean;
  allowedHostnames: readonly string[];
  logger: Logger;
  onRequestStart: () => void;
  onRequestEnd: () => void;
}

export interface WorkerHttp {
  server: Server;
  /**
   * Sends a few MCP requests through the handler in-process (discovery, listing, a tool call
   * that fails validation: nothing reaches Blender), so the first real client doesn't pay for
   * cold code paths. Runs while Blender boots.
   */
  warmUp(): Promise<void>;
  /** Listens on TCP (resolves the port) or on a Unix socket path (resolves 0). */
  listen(address: { port: number; host: string } | { socketPath: string }): Promise<number>;
  close(): Promise<void>;
}

type JsonBody = { kind: "parsed"; value: unknown } | { kind: "unparsable"; text: string } | { kind: "unread" };

/**
 * Reads and parses an MCP POST body so that the SDK's handler is given it parsed: otherwise the
 * handler clones the request and reads the body through web streams, a good part of a small
 * call's cost, while @hono/node-server reads it straight off the socket. Only a body of a
 * declared length within the limit is read here; the handler reads any other itself and applies
 * the limit (413). Every check on the content stays the handler's.
 */
async function readJsonBody(request: Request): Promise<JsonBody> {
  if (request.method !== "POST") return { kind: "unread" };
  const length = Number(request.headers.get("content-length") ?? Number.NaN);
  if (!(length > 0 && length <= MAX_MCP_BODY_BYTES)) return { kind: "unread" };
  const text = await request.text();
  try {
    return { kind: "parsed", value: JSON.parse(text) };
  } catch {
    return { kind: "unparsable", text };
  }
}

/** The same request with its (already read) body, for the handler to answer a bad body as it does. */
function withBody(request: Request, text: string): Request {
  return new Request(request.url, { method: request.method, headers: request.headers, body: text, signal: request.signal });
}

export function createWorkerHttp(options: WorkerHttpOptions): WorkerHttp {
  const { logger } = options;
  const mcpHandler = createMcpHandler((context) => options.createServer(context), {
    maxRequestBodySize: MAX_MCP_BODY_BYTES,
    onerror: (error) => logger.debug({ err: error }, "mcp request rejected"),
  });
  const legacySessions = new Map<string, SSEServerTransport>();

  async function answerMcp(request: Request): Promise<Response> {
    const body = await readJsonBody(request);
    if (body.kind === "parsed") return mcpHandler.fetch(request, { parsedBody: body.value });
    return mcpHandler.fetch(body.kind === "unparsable" ? withBody(request, body.text) : request);
  }

  const app = new Hono();
  app.get("/healthz", (c) => {
    const health = options.health();
    return c.json(health, health.ready ? 200 : 503);
  });
  app.all("/mcp", async (c) => {
    if (!options.admitting()) return problemResponse(new NotAdmittingError("draining"));
    if (!options.health().bound) return problemResponse(new NotAdmittingError("not_bound"));
    return answerMcp(c.req.raw);
  });
  app.get("/artifacts/:id", async (c) => {
    const artifacts = options.artifacts();
    const notFound = new NotFoundError("artifact_not_found", "No such artifact in this worker's project.");
    if (!artifacts) throw notFound;
    // A store that is down throws ArtifactStoreUnavailableError: a 503 with Retry-After (problem.ts).
    const response = await artifactResponse(artifacts.store, artifacts.projectId, c.req.param("id"), {
      range: c.req.header("range"),
      method: c.req.method,
      // Ids are never reused, so an artifact never changes.
      headers: () => ({ "cache-control": "private, max-age=31536000, immutable", "access-control-allow-origin": "*" }),
    });
    if (!response) throw notFound;
    return response;
  });
  app.notFound((c) => problemResponse(new NotFoundError("not_found", `No route for ${c.req.method} ${c.req.path}. MCP is at /mcp.`)));
  app.onError((error) => {
    // Refusals are answers, not failures: only the unexpected is logged as one.
    if (problemFor(error).status === 500) logger.error({ err: error }, "worker request failed");
    return problemResponse(error);
  });
  const honoListener = getRequestListener(app.fetch);

  async function handleLegacySse(req: IncomingMessage, res: ServerResponse, path: string) {
    if (path === "/sse" && req.method === "GET") {
      if (!options.admitting()) return sendProblem(res, new NotAdmittingError("draining"));
      if (!options.health().bound) return sendProblem(res, new NotAdmittingError("not_bound"));
      // SDK v1, for the legacy transport only: loaded on its first use so that worker start-up
      // (which races Blender's boot for the CPU) does not pay for it.
      const { SSEServerTransport } = await import("@modelcontextprotocol/sdk/server/sse.js");
      const transport = new SSEServerTransport("/messages", res);
      legacySessions.set(transport.sessionId, transport);
      res.on("close", () => legacySessions.delete(transport.sessionId));
      // The v2 server speaks the 2025 handshake over any connected transport.
      await options.createServer({ era: "legacy" }).connect(transport as never);
      return;
    }
    if (path === "/messages" && req.method === "POST") {
      const sessionId = new URL(req.url ?? "/", "http://localhost").searchParams.get("sessionId") ?? "";
      const transport = legacySessions.get(sessionId);
      if (!transport)
        return sendProblem(res, new NotFoundError("session_not_found", "Unknown or expired sessionId; open a new stream with GET /sse."));
      options.onRequestStart();
      res.on("close", options.onRequestEnd);
      await transport.handlePostMessage(req, res);
      return;
    }
    sendProblem(res, new MethodNotAllowedError(["GET", "POST"], "Use GET /sse to open a stream and POST /messages?sessionId=... to send."));
  }

  const guard = createRequestGuard(options.allowedHostnames);
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path !== "/healthz") {
      const refused = guard(req.headers);
      if (refused) {
        req.resume();
        return sendProblem(res, refused);
      }
    }
    if (path === "/mcp") {
      // In flight from the request's arrival until its response is finished or abandoned; a
      // drain waits for these.
      options.onRequestStart();
      res.once("close", options.onRequestEnd);
    }
    if (path === "/sse" || path === "/messages") {
      handleLegacySse(req, res, path).catch((error) => {
        logger.error({ err: error }, "legacy SSE request failed");
        sendProblem(res, error);
      });
      return;
    }
    honoListener(req, res);
  });
  // Renders can stream progress for minutes; don't cut long requests.
  server.requestTimeout = 0;
  // Its client is the runtime (or an agent) that pauses between calls for as long as a model
  // thinks: keep its connection for a minute rather than node:http's 5 s, so it is not opened anew.
  server.keepAliveTimeout = 60_000;

  async function warmUp(): Promise<void> {
    const modernMeta = {
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientInfo": { name: "bod-warm-up", version: "1" },
      "io.modelcontextprotocol/clientCapabilities": {},
    };
    const requests: [string, Record<string, unknown>, string | undefined][] = [
      ["server/discover", { _meta: modernMeta }, "2026-07-28"],
      ["tools/list", { _meta: modernMeta }, "2026-07-28"],
      ["tools/call", { name: "get_scene", arguments: { limit: 0 }, _meta: modernMeta }, "2026-07-28"],
      ["initialize", { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "bod-warm-up", version: "1" } }, undefined],
      ["tools/list", {}, "2025-11-25"],
    ];
    for (const [method, params, version] of requests) {
      const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json, text/event-stream" };
      if (version) headers["mcp-protocol-version"] = version;
      if (version === "2026-07-28") headers["mcp-method"] = method;
      if (method === "tools/call") headers["mcp-name"] = "get_scene";
      const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method, params });
      headers["content-length"] = String(Buffer.byteLength(body));
      const response = await answerMcp(new Request("http://127.0.0.1/mcp", { method: "POST", headers, body }));
      await response.text();
    }
    // And one request over the socket itself, which builds the router and runs node:http's and
    // the adapter's paths once (the health check: it changes nothing and needs no admission).
    const address = server.address();
    if (!address) return;
    await new Promise<void>((resolve) => {
      const target = typeof address === "string" ? { socketPath: address } : { host: "127.0.0.1", port: address.port };
      const probe = httpRequest({ ...target, path: "/healthz", agent: false }, (response) => {
        response.resume();
        response.once("end", resolve);
      });
      probe.once("error", () => resolve());
      probe.end();
    });
  }

  return {
    server,
    warmUp,
    async listen(address) {
      if ("socketPath" in address) await rm(address.socketPath, { force: true });
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        const onListening = () => {
          const bound = server.address();
          resolve(typeof bound === "object" && bound ? bound.port : 0);
        };
        if ("socketPath" in address) server.listen(address.socketPath, onListening);
        else server.listen(address.port, address.host, onListening);
      });
    },
    async close() {
      await mcpHandler.close();
      for (const transport of legacySessions.values()) await transport.close();
      // Nothing is in flight by now (a drain waits for that): end kept-alive and quiet streaming
      // connections at once rather than waiting up to keepAliveTimeout for each to go idle.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
