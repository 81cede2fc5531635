// The hot path: one request for a project's MCP endpoint, routed through the Runtime to its
// worker over kept-alive connections (TCP loopback or the sandbox's Unix socket). The request
// body is read first (MCP bodies are bounded), which makes a retry safe when the worker turned
// out to be gone or draining; the response streams straight through, chunk by chunk, so SSE
// progress reaches the client as the worker writes it. A small response that arrives whole
// leaves in one write, headers, body and end together.
import type { IncomingMessage, ServerResponse } from "node:http";
import { MAX_MCP_REQUEST_BYTES } from "@bod/contracts";
import type { Logger } from "pino";
import type { Counter } from "prom-client";
import { PayloadTooLargeError } from "../errors/payload-too-large-error.ts";
import { WorkerUnreachableError } from "../errors/worker-unreachable-error.ts";
import type { RuntimeMetrics } from "../metrics.ts";
import type { RouteLease, Runtime } from "../runtime.ts";
import { sendProblem } from "./problem.ts";
import { type RetryClass, retryClassOf } from "./retry-class.ts";
import { createWorkerClient, type Exchange, HOP_BY_HOP_HEADERS, type WorkerClient, type WorkerResponseHead } from "./worker-client.ts";

/** Largest request body passed to a worker: the worker's own limit (the contracts' MAX_MCP_REQUEST_BYTES) plus room. */
export const MAX_PROXY_BODY_BYTES = MAX_MCP_REQUEST_BYTES + 2 * 1024 * 1024;

/**
 * Never passed to a worker: the connection's own fields, the runtime's credentials, what the
 * worker checks against loopback, the body framing (the client sets it for the buffered body),
 * and Expect (the body has already been read).
 */
const NOT_FORWARDED = new Set([...HOP_BY_HOP_HEADERS, "authorization", "host", "origin", "content-length", "cookie", "expect"]);
const UNREACHABLE = new Set(["ECONNREFUSED", "ENOENT", "ECONNRESET", "EPIPE", "ECONNABORTED"]);
/** Failures that mean no connection was made: the request never reached the worker. */
const NOT_CONNECTED = new Set(["ECONNREFUSED", "ENOENT"]);
const MAX_ATTEMPTS = 4;
/** How long a worker that cut a request off may take to exit before the request is given up on, by default. */
const WORKER_EXIT_WAIT_MS = 10_000;

export interface ProxyOptions {
  runtime: Runtime;
  metrics?: RuntimeMetrics;
  logger?: Logger;
  client?: WorkerClient;
  /**
   * How long a worker that cut off a keyed change may take to exit before the change is answered
   * 502 rather than sent to the next worker, in milliseconds. Default 10 000.
   */
  workerExitWaitMs?: number;
}

export function createWorkerProxy(options: ProxyOptions) {
  const { runtime, metrics, logger } = options;
  const client = options.client ?? createWorkerClient();
  const workerExitWaitMs = options.workerExitWaitMs ?? WORKER_EXIT_WAIT_MS;
  // One counter child per status, looked up once instead of hashing its labels on every request.
  const proxiedByStatus = new Map<number, Counter.Internal>();
  const countProxied = (status: number) => {
    if (!metrics) return;
    let counter = proxiedByStatus.get(status);
    if (!counter) {
      counter = metrics.proxied.labels(String(status));
      proxiedByStatus.set(status, counter);
    }
    counter.inc();
  };

  /** Proxies `req` to `upstreamPath` on the project's worker. Never throws; always answers `res`. */
  async function proxy(req: IncomingMessage, res: ServerResponse, projectId: string, upstreamPath: string): Promise<void> {
    const receivedAt = performance.now();
    const method = req.method ?? "GET";
    const { headers, declaredLength } = forwardedHeaders(req.rawHeaders);
    if (declaredLength > MAX_PROXY_BODY_BYTES) {
      req.resume();
      return sendProblem(res, new PayloadTooLargeError(MAX_PROXY_BODY_BYTES));
    }
    let body: Buffer;
    try {
      body = method === "GET" || method === "HEAD" ? EMPTY : await readBody(req, MAX_PROXY_BODY_BYTES);
    } catch (error) {
      if ((error as Error).message === "too large") return sendProblem(res, new PayloadTooLargeError(MAX_PROXY_BODY_BYTES));
      return; // the client went away mid-body
    }
    const kind = method === "GET" ? "stream" : "call";
    const request = { method, path: upstreamPath, headers, body };

    // Whatever holds the request when the client goes away: the wait for a route, the exchange, the lease.
    const aborted = new AbortController();
    let lease: RouteLease | undefined;
    let exchange: Exchange | undefined;
    let gone = false;
    let answering = false;
    /** The worker's response head, held until its first body piece or its end, to leave with it. */
    let pendingHead: WorkerResponseHead | undefined;
    const releaseLease = () => {
      lease?.release();
      lease = undefined;
    };
    res.once("close", () => {
      if (!res.writableFinished) {
        gone = true;
        aborted.abort(new Error("client went away"));
        exchange?.abort();
      }
      releaseLease();
    });
    // The client is not keeping up: stop reading from the worker until it has taken what it has.
    let paused = false;
    const resume = () => {
      paused = false;
      exchange?.resume();
    };

    const forward = async (attempt: number): Promise<void> => {
      let routed: RouteLease;
      try {
        routed = await runtime.route(projectId, { kind, signal: aborted.signal });
      } catch (error) {
        if (gone) return;
        logger?.warn({ projectId, err: error }, "request not routed");
        return sendProblem(res, error);
      }
      if (gone) return routed.release();
      lease = routed;
      let sentAt = 0;
      exchange = client.send(routed.endpoint, request, {
        onHead(head) {
          if (head.statusCode === 503 && head.retryAfter !== undefined && attempt < MAX_ATTEMPTS) {
            // The worker is draining or not yet bound on its own account: it did not take the request.
            releaseLease();
            routed.reportUnavailable("not-admitting");
            logger?.warn({ projectId, attempt }, "worker not admitting; routing again");
            void forward(attempt + 1);
            return false;
          }
          if (!routed.coldStart) metrics?.hopSeconds.observe((sentAt - receivedAt) / 1000);
          countProxied(head.statusCode);
          answering = true;
          if (kind === "stream") {
            // A GET event stream may stay quiet for long: send its headers now.
            res.writeHead(head.statusCode, head.statusMessage, head.headers);
            res.flushHeaders();
          } else pendingHead = head;
          return true;
        },
        onBody(chunk) {
          if (pendingHead) {
            // The headers go out with the first piece of body: one write less on the hot path.
            res.writeHead(pendingHead.statusCode, pendingHead.statusMessage, pendingHead.headers);
            pendingHead = undefined;
          }
          if (!res.write(chunk) && !paused) {
            paused = true;
            exchange?.pause();
            res.once("drain", resume);
          }
        },
        onEnd(last) {
          if (pendingHead) {
            // The whole response arrived at once (most MCP answers): it leaves in one write, framed by its length.
            const { statusCode, statusMessage, headers, contentLength, bodyless } = pendingHead;
            pendingHead = undefined;
            const framed = bodyless || contentLength !== undefined;
            res.writeHead(statusCode, statusMessage, framed ? headers : [...headers, "content-length", String(last?.length ?? 0)]);
          }
          res.end(last);
        },
        onError(error, responded) {
          if (answering) {
            // Cut off mid-response: the client must see a broken response, not a short one.
            if (!pendingHead) return void res.destroy();
            // Nothing has left for the client yet: it gets a 502 below.
            pendingHead = undefined;
          }
          releaseLease();
          if (gone) return;
          const code = error.code ?? "";
          if (!responded && NOT_CONNECTED.has(code) && attempt < MAX_ATTEMPTS) {
            // The worker died between routing and connecting; nothing reached it, so sending again is safe.
            logger?.warn({ projectId, code, attempt }, "worker unreachable; routing again");
            routed.reportUnavailable("unreachable");
            void forward(attempt + 1);
            return;
          }
          if (UNREACHABLE.has(code) && attempt < MAX_ATTEMPTS) {
            // The worker may have run the request before it went: send it again only where running
            // it twice changes nothing (reads, and changes the worker applies once per key).
            const retry = retryClassOf(method, body);
            if (retry !== "change") {
              answering = false;
              routed.reportUnavailable("unreachable");
              void forwardOnceExited(routed, attempt, retry, code);
              return;
            }
          }
          logger?.error({ projectId, err: error }, "worker request failed");
          sendProblem(res, new WorkerUnreachableError(projectId, code));
        },
      });
      // The request is on its way to the worker: what the runtime added before it is the hop.
      sentAt = performance.now();
    };

    /**
     * Sends a request that may have reached `routed`'s worker to the project's next worker, once
     * that one has exited (reportUnavailable kills it), so the first attempt is not running
     * anywhere. A keyed change whose worker cannot be seen to exit is not sent again.
     */
    const forwardOnceExited = async (routed: RouteLease, attempt: number, retry: RetryClass, code: string): Promise<void> => {
      const exited = routed.exited ? await settlesWithin(routed.exited(), workerExitWaitMs) : false;
      if (gone) return;
      if (!exited && retry === "keyed-change") {
        logger?.error({ projectId, code }, "worker cut a keyed change off and did not exit; not sending it again");
        return sendProblem(res, new WorkerUnreachableError(projectId, code));
      }
      logger?.warn({ projectId, code, attempt, retry }, "worker ended with the request in hand; sending it to the next worker");
      await forward(attempt + 1);
    };
    await forward(1);
  }

  return { proxy, client };
}

const EMPTY = Buffer.alloc(0);

/** Whether `promise` settles within `ms` milliseconds. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const settled = () => {
      clearTimeout(timer);
      resolve(true);
    };
    promise.then(settled, settled);
  });
}

/** The request's headers to pass on, as alternating names and values, and its declared Content-Length. */
function forwardedHeaders(raw: string[]): { headers: string[]; declaredLength: number } {
  const headers: string[] = [];
  let declaredLength = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (lower === "content-length") declaredLength = Number(raw[i + 1]);
    if (!NOT_FORWARDED.has(lower)) headers.push(name, raw[i + 1]!);
  }
  return { headers, declaredLength };
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
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
