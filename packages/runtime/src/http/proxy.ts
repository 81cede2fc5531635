// The hot path: one request for a project's MCP endpoint, routed through the Runtime to its
// worker over keep-alive connections (TCP loopback or the sandbox's Unix socket). The request
// body is read first (MCP bodies are bounded), which makes a retry safe when the worker turned
// out to be gone or draining; the response streams straight through, chunk by chunk, so SSE
// progress reaches the client as the worker writes it.
import { Agent, type IncomingHttpHeaders, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { RuntimeMetrics } from "../metrics.ts";
import type { RouteLease, Runtime, WorkerEndpoint } from "../runtime.ts";
import { problemFor, sendProblem, sendSimpleProblem } from "./problem.ts";

/** Largest request body passed to a worker: the worker's own limit (a 32 MiB upload in base64) plus room. */
export const MAX_PROXY_BODY_BYTES = 50 * 1024 * 1024;

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);
/** Never passed to a worker: the runtime's credentials, and what the worker checks against loopback. */
const NOT_FORWARDED = new Set([...HOP_BY_HOP, "authorization", "host", "origin", "content-length", "cookie"]);
const UNREACHABLE = new Set(["ECONNREFUSED", "ENOENT", "ECONNRESET", "EPIPE", "ECONNABORTED"]);
const MAX_ATTEMPTS = 4;

export interface ProxyOptions {
  runtime: Runtime;
  metrics?: RuntimeMetrics;
  logger?: Logger;
  agent?: Agent;
}

export function createWorkerProxy(options: ProxyOptions) {
  const agent = options.agent ?? new Agent({ keepAlive: true, maxFreeSockets: 64, scheduling: "lifo" });

  /** Proxies `req` to `upstreamPath` on the project's worker. Never throws; always answers `res`. */
  async function proxy(req: IncomingMessage, res: ServerResponse, projectId: string, upstreamPath: string): Promise<void> {
    const receivedAt = performance.now();
    const aborted = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) aborted.abort(new Error("client went away"));
    });

    let body: Buffer;
    try {
      body = await readBody(req, MAX_PROXY_BODY_BYTES);
    } catch (error) {
      if ((error as Error).message === "too large")
        return sendSimpleProblem(res, 413, "payload_too_large", `Request bodies are limited to ${MAX_PROXY_BODY_BYTES} bytes.`);
      return; // the client went away mid-body
    }
    const kind = req.method === "GET" ? "stream" : "call";
    const headers = forwardedHeaders(req.headers, body.length, req.method ?? "GET");

    for (let attempt = 1; ; attempt++) {
      let lease: RouteLease;
      try {
        lease = await options.runtime.route(projectId, { kind, signal: aborted.signal });
      } catch (error) {
        if (aborted.signal.aborted) return;
        options.logger?.warn({ projectId, err: error }, "request not routed");
        return sendProblem(res, problemFor(error));
      }
      const routedAt = performance.now();
      let upstream: IncomingMessage;
      try {
        upstream = await send(agent, lease.endpoint, req.method ?? "GET", upstreamPath, headers, body, aborted.signal);
      } catch (error) {
        lease.release();
        if (aborted.signal.aborted) return;
        const code = (error as NodeJS.ErrnoException).code ?? "";
        if (UNREACHABLE.has(code) && attempt < MAX_ATTEMPTS) {
          // The worker died between routing and connecting; nothing reached it, so sending again is safe.
          options.logger?.warn({ projectId, code, attempt }, "worker unreachable; routing again");
          lease.reportUnavailable("unreachable");
          continue;
        }
        options.logger?.error({ projectId, err: error }, "worker request failed");
        return sendSimpleProblem(
          res,
          502,
          "worker_unreachable",
          `The worker for project "${projectId}" could not be reached (${code || "error"}); retry the request.`,
        );
      }
      if (upstream.statusCode === 503 && upstream.headers["retry-after"] && attempt < MAX_ATTEMPTS) {
        // The worker is draining or not yet bound on its own account: it did not take the request.
        upstream.resume();
        lease.release();
        lease.reportUnavailable("not-admitting");
        options.logger?.warn({ projectId, attempt }, "worker not admitting; routing again");
        continue;
      }
      if (!lease.coldStart) options.metrics?.hopSeconds.observe((routedAt - receivedAt) / 1000);
      options.metrics?.proxied.inc({ status: String(upstream.statusCode ?? 0) });
      pipeResponse(upstream, res, lease, kind === "stream");
      return;
    }
  }

  return { proxy, agent };
}

function pipeResponse(upstream: IncomingMessage, res: ServerResponse, lease: RouteLease, longLived: boolean): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(upstream.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  res.writeHead(upstream.statusCode ?? 502, upstream.statusMessage, headers);
  // A GET event stream may stay quiet for long: send its headers now. Other responses carry their
  // headers with the first chunk (one write less on the hot path); every chunk is passed on as it comes.
  if (longLived) res.flushHeaders();
  upstream.pipe(res);
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    lease.release();
  };
  res.on("close", () => {
    if (!upstream.complete) upstream.destroy();
    finish();
  });
  upstream.on("error", () => {
    res.destroy();
    finish();
  });
}

function send(
  agent: Agent,
  endpoint: WorkerEndpoint,
  method: string,
  path: string,
  headers: Record<string, string | string[]>,
  body: Buffer,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const target = "socketPath" in endpoint ? { socketPath: endpoint.socketPath } : { host: endpoint.host, port: endpoint.port };
    const upstream = request({ ...target, agent, method, path, headers: { ...headers, host: "127.0.0.1" }, signal });
    upstream.setNoDelay(true);
    upstream.on("response", resolve);
    upstream.on("error", reject);
    upstream.end(body.length > 0 ? body : undefined);
  });
}

function forwardedHeaders(incoming: IncomingHttpHeaders, bodyBytes: number, method: string): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming)) if (value !== undefined && !NOT_FORWARDED.has(name)) headers[name] = value;
  if (bodyBytes > 0 || (method !== "GET" && method !== "HEAD" && method !== "DELETE")) headers["content-length"] = String(bodyBytes);
  return headers;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) {
    req.resume();
    return Promise.reject(new Error("too large"));
  }
  if (req.method === "GET" || req.method === "HEAD") return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.resume();
        reject(new Error("too large"));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on("error", reject);
    req.on("aborted", () => reject(new Error("aborted")));
  });
}
