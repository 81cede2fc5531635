// The proxy's client for its workers: undici's dispatcher, one connection pool per worker, over
// loopback TCP or the sandbox's Unix socket. Its handler interface hands over the status line,
// the headers and each piece of body as the parser produces them, without the request and
// response streams of node:http's client, which cost a warm call more than everything else the
// runtime does for it. Every piece of body is passed on as it arrives, so SSE progress streams
// event by event; a response that arrives whole is handed over whole, to leave in one write.

import type { Dispatcher } from "undici";
import { Pool } from "undici";
import type { WorkerEndpoint } from "../runtime.ts";

export interface WorkerRequest {
  method: string;
  /** Path and query on the worker, e.g. `/mcp`. */
  path: string;
  /**
   * Header names and values, alternating, as a node:http server parsed them from the client;
   * without Host, Content-Length and Transfer-Encoding, which the client sets.
   */
  headers: string[];
  body: Buffer;
}

export interface WorkerResponseHead {
  statusCode: number;
  statusMessage: string;
  /** Names and values, alternating, as the worker sent them, less the hop-by-hop fields; fit for `res.writeHead`. */
  headers: string[];
  retryAfter: string | undefined;
  /** The worker's Content-Length, when it sent one. */
  contentLength: number | undefined;
  /** The response has no body whatever its headers say (a HEAD request, 204, 304). */
  bodyless: boolean;
}

export interface ExchangeHandlers {
  /**
   * The status line and headers arrived. Return false to discard the body: the exchange still
   * reads it to the end, so the connection can be used again, but calls nothing more.
   */
  onHead(head: WorkerResponseHead): boolean;
  onBody(chunk: Buffer): void;
  /**
   * The response ended. `last` is its final piece of body when that arrived together with the
   * end, held back from onBody so the whole tail can leave in one write.
   */
  onEnd(last: Buffer | undefined): void;
  /**
   * The exchange failed; `responded` says whether any of the response had arrived. `error.code`
   * is Node's (ECONNREFUSED, ENOENT, ECONNRESET for a connection that closed early). Called at
   * most once, and never after onEnd.
   */
  onError(error: NodeJS.ErrnoException, responded: boolean): void;
}

/** One request in progress. Once the exchange is over, its methods do nothing. */
export interface Exchange {
  /** Stops reading the response (the client is not keeping up). */
  pause(): void;
  resume(): void;
  /** Gives the exchange up: its connection is closed and no handler is called again. */
  abort(): void;
}

export interface WorkerClient {
  send(endpoint: WorkerEndpoint, request: WorkerRequest, handlers: ExchangeHandlers): Exchange;
  /** Closes every connection. */
  close(): void;
}

/** Response fields that describe one connection, not the message: never passed on. */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
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

const POOL_OPTIONS: Pool.Options = {
  // Renders run for minutes and event streams stay quiet for long: the worker enforces its own
  // timeouts, so the connection to it never times out a response.
  headersTimeout: 0,
  bodyTimeout: 0,
  // An idle connection is given up 1 s before the worker's announced keep-alive timeout (5 s for
  // node:http), so a request never races the worker closing it.
  keepAliveTimeoutThreshold: 1000,
};

/** undici's "the other side closed" is Node's ECONNRESET to the proxy. */
const CLOSED_EARLY = new Set(["UND_ERR_SOCKET", "UND_ERR_CLOSED"]);

export function createWorkerClient(): WorkerClient {
  const pools = new Map<string, Pool>();

  function poolFor(endpoint: WorkerEndpoint): Pool {
    const key = "socketPath" in endpoint ? `unix:${endpoint.socketPath}` : `${endpoint.host}:${endpoint.port}`;
    let pool = pools.get(key);
    if (pool) return pool;
    pool =
      "socketPath" in endpoint
        ? new Pool("http://localhost", { ...POOL_OPTIONS, socketPath: endpoint.socketPath })
        : new Pool(`http://${endpoint.host}:${endpoint.port}`, POOL_OPTIONS);
    const created = pool;
    // Workers come and go (every start has its own socket or port): a pool left with no
    // connection and no request is let go, and made anew if the worker is still there.
    created.on("disconnect", () => {
      const { connected, pending, running } = created.stats;
      if (connected === 0 && pending === 0 && running === 0 && pools.get(key) === created) {
        pools.delete(key);
        void created.close();
      }
    });
    pools.set(key, created);
    return created;
  }

  return {
    send(endpoint, request, handlers) {
      const exchange = new WorkerExchange(request.method, handlers);
      poolFor(endpoint).dispatch(
        {
          path: request.path,
          method: request.method,
          headers: request.headers,
          body: request.body.length > 0 || !bodyless(request.method) ? request.body : null,
        },
        exchange,
      );
      return exchange;
    },
    close() {
      for (const pool of pools.values()) void pool.destroy();
      pools.clear();
    },
  };
}

function bodyless(method: string): boolean {
  return method === "GET" || method === "HEAD" || method === "DELETE";
}

/** undici's handler for one exchange, and the proxy's handle on it. */
class WorkerExchange implements Dispatcher.DispatchHandler, Exchange {
  private readonly method: string;
  private readonly handlers: ExchangeHandlers;
  private controller: Dispatcher.DispatchController | undefined;
  private over = false;
  private responded = false;
  private discarding = false;
  private paused = false;
  private abortWanted = false;
  /** Pieces of body parsed but not yet handed on. */
  private readonly pending: Buffer[] = [];
  private flushScheduled = false;
  /** The end has arrived; it is handed on with the pieces before it once not paused. */
  private endSeen = false;

  constructor(method: string, handlers: ExchangeHandlers) {
    this.method = method;
    this.handlers = handlers;
  }

  pause(): void {
    if (this.over) return;
    this.paused = true;
    this.controller?.pause();
  }

  resume(): void {
    if (this.over) return;
    this.paused = false;
    this.controller?.resume();
    if (this.endSeen) this.finish();
    else if (this.pending.length > 0) this.scheduleFlush();
  }

  abort(): void {
    if (this.over) return;
    this.over = true;
    if (this.controller) this.controller.abort(new Error("the proxy gave the exchange up"));
    else this.abortWanted = true;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortWanted) controller.abort(new Error("the proxy gave the exchange up"));
    else if (this.paused) controller.pause();
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    if (this.over || statusCode < 200) return; // interim responses (100 Continue) are not the answer
    this.responded = true;
    const passed: string[] = [];
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined || HOP_BY_HOP_HEADERS.has(name)) continue;
      if (typeof value === "string") passed.push(name, value);
      else for (const one of value) passed.push(name, one);
    }
    const length = headers["content-length"];
    const retryAfter = headers["retry-after"];
    const keep = this.guard(() =>
      this.handlers.onHead({
        statusCode,
        statusMessage: statusMessage ?? "",
        headers: passed,
        retryAfter: typeof retryAfter === "string" ? retryAfter : undefined,
        contentLength: typeof length === "string" ? Number(length) : undefined,
        bodyless: this.method === "HEAD" || statusCode === 204 || statusCode === 304,
      }),
    );
    if (keep === false) this.discarding = true;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.over || this.discarding) return;
    this.pending.push(chunk);
    // undici parses a whole read in one go: when the end is in the same read, onResponseEnd
    // follows before any other task runs and takes the pieces with it (one write for the whole
    // tail). Otherwise they leave as soon as the current task is done, so a streamed event is
    // never held back. A piece that arrives while paused waits for resume.
    if (!this.paused) this.scheduleFlush();
  }

  onResponseEnd(): void {
    if (this.over) return;
    this.endSeen = true;
    if (this.discarding) this.over = true;
    else if (!this.paused) this.finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.over) return;
    this.over = true;
    this.pending.length = 0;
    const failure = error as NodeJS.ErrnoException;
    if (failure.code && CLOSED_EARLY.has(failure.code)) failure.code = "ECONNRESET";
    if (this.discarding) return;
    this.guard(() => this.handlers.onError(failure, this.responded));
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      if (this.over || this.endSeen) return;
      // Pieces already here are handed on even if a handler pauses midway: pausing stops reading.
      for (const piece of this.pending.splice(0)) if (!this.over) this.guard(() => this.handlers.onBody(piece));
    });
  }

  private finish(): void {
    this.over = true;
    const pieces = this.pending.splice(0);
    const last = pieces.pop();
    for (const piece of pieces) this.guard(() => this.handlers.onBody(piece));
    this.guard(() => this.handlers.onEnd(last));
  }

  /** Runs a proxy handler; one that throws ends this exchange, never the runtime. */
  private guard<T>(call: () => T): T | undefined {
    try {
      return call();
    } catch {
      if (!this.over) {
        this.over = true;
        this.controller?.abort(new Error("the proxy's response handler failed"));
      }
      return undefined;
    }
  }
}
