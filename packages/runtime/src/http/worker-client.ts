// The proxy's client for its workers: HTTP/1.1 over kept-alive connections, loopback TCP or the
// sandbox's Unix socket. It replaces node:http's ClientRequest and Agent on the hot path, which
// cost a warm call more than everything else the runtime does for it (their request object,
// header bookkeeping, response stream and socket scheduling). The upstream is always a
// `bod worker` (a node:http server), so this client needs only what such a server sends: a request
// goes out as one write, and a response is parsed just far enough to find its end
// (Content-Length, chunked, or the connection closing); every piece of body is handed on as it
// arrives, so SSE progress still streams event by event.
import { connect, type Socket } from "node:net";
import type { WorkerEndpoint } from "../runtime.ts";

export interface WorkerRequest {
  method: string;
  /** Path and query on the worker, e.g. `/mcp`. */
  path: string;
  /**
   * Header names and values, alternating, as a node:http server parsed them from the client (so
   * free of line breaks); without Host, Content-Length and Transfer-Encoding, which this client sets.
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
   * The response ended. `last` is its final piece of body when that arrived in the same read as
   * the end, held back from onBody so the whole tail can leave in one write.
   */
  onEnd(last: Buffer | undefined): void;
  /** The exchange failed; `responded` says whether any of the response had arrived. Called at most once, and never after onEnd. */
  onError(error: NodeJS.ErrnoException, responded: boolean): void;
}

/** One request in progress. */
export interface Exchange {
  /** Stops reading the response (the client is not keeping up). */
  pause(): void;
  resume(): void;
  /** Gives the exchange up: the connection is closed and no handler is called again. */
  abort(): void;
}

export interface WorkerClient {
  send(endpoint: WorkerEndpoint, request: WorkerRequest, handlers: ExchangeHandlers): Exchange;
  /** Closes the idle connections. */
  close(): void;
}

export interface WorkerClientOptions {
  /** Idle connections kept per worker. Default 64. */
  maxIdlePerWorker?: number;
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

/** Largest status line plus headers accepted from a worker. */
const MAX_HEAD_BYTES = 64 * 1024;
/** A kept-alive connection is given up this long before the worker's own keep-alive timeout, as node:http's Agent does, so a request never races the worker closing it. */
const KEEP_ALIVE_MARGIN_MS = 1000;
/** How long an idle connection is kept when the worker names no keep-alive timeout (node:http servers name 5 s). */
const DEFAULT_KEEP_ALIVE_MS = 4000;

// Where the parser is in the response.
const HEAD = 0;
const CHUNK_SIZE = 1;
const CHUNK_DATA = 2;
const CHUNK_DATA_END = 3;
const TRAILERS = 4;
const FIXED = 5;
const UNTIL_CLOSE = 6;
const DONE = 7;

/** Where every connection's reads land; see the WorkerConnection constructor. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
const CRLF = Buffer.from("\r\n");
const CRLFCRLF = Buffer.from("\r\n\r\n");

export function createWorkerClient(options: WorkerClientOptions = {}): WorkerClient {
  const maxIdle = options.maxIdlePerWorker ?? 64;
  /** Idle connections per worker, most recently used last. */
  const idle = new Map<string, WorkerConnection[]>();

  const pool: ConnectionPool = {
    put(connection) {
      const list = idle.get(connection.key);
      if (list) {
        if (list.length >= maxIdle) connection.destroy();
        else list.push(connection);
      } else idle.set(connection.key, [connection]);
    },
    remove(connection) {
      const list = idle.get(connection.key);
      const index = list ? list.indexOf(connection) : -1;
      if (index < 0) return;
      list!.splice(index, 1);
      if (list!.length === 0) idle.delete(connection.key);
    },
  };

  function take(key: string): WorkerConnection | undefined {
    const list = idle.get(key);
    if (!list) return undefined;
    const now = performance.now();
    let found: WorkerConnection | undefined;
    while (!found && list.length > 0) {
      const candidate = list.pop()!;
      if (candidate.usableAt(now)) found = candidate;
      else candidate.destroy();
    }
    if (list.length === 0) idle.delete(key);
    return found;
  }

  return {
    send(endpoint, request, handlers) {
      const key = "socketPath" in endpoint ? endpoint.socketPath : `${endpoint.host}:${endpoint.port}`;
      const connection = take(key) ?? new WorkerConnection(key, endpoint, pool);
      return connection.send(request, handlers);
    },
    close() {
      for (const list of [...idle.values()]) for (const connection of [...list]) connection.destroy();
      idle.clear();
    },
  };
}

interface ConnectionPool {
  put(connection: WorkerConnection): void;
  remove(connection: WorkerConnection): void;
}

/** One kept-alive connection to a worker, serving one exchange at a time. */
class WorkerConnection {
  readonly key: string;
  private readonly socket: Socket;
  private readonly pool: ConnectionPool;
  private handlers: ExchangeHandlers | undefined;
  /** The current exchange's body is being read to the end and thrown away. */
  private discarding = false;
  private responded = false;
  private isHead = false;
  private state = HEAD;
  /** Bytes left in the current chunk, or of a Content-Length body. */
  private remaining = 0;
  /** Start of a head or a chunk-size line that has not fully arrived. */
  private partial: Buffer | undefined;
  private reusable = false;
  private keepAliveMs = DEFAULT_KEEP_ALIVE_MS;
  /** The Keep-Alive header keepAliveMs was read from. */
  private keepAliveHint: string | undefined;
  /** The last body piece of the read being parsed, a view into the read buffer, not yet handed on. */
  private held: Buffer | undefined;
  private idleSince = 0;
  /** Reading was stopped for a slow client. */
  private paused = false;

  constructor(key: string, endpoint: WorkerEndpoint, pool: ConnectionPool) {
    this.key = key;
    this.pool = pool;
    // Reads land in one buffer shared by every connection and are parsed on the spot, without
    // the stream machinery of 'data' events; what outlives the read (body pieces, a partial head)
    // is copied out of it.
    const onread = {
      buffer: READ_BUFFER,
      callback: (bytes: number, buffer: Uint8Array) => {
        this.onData(buffer as Buffer, bytes);
        return true;
      },
    };
    this.socket =
      "socketPath" in endpoint
        ? connect({ path: endpoint.socketPath, onread })
        : connect({ host: endpoint.host, port: endpoint.port, noDelay: true, onread });
    this.socket.on("error", (error: NodeJS.ErrnoException) => this.fail(error));
    this.socket.on("close", () => this.onClose());
  }

  usableAt(now: number): boolean {
    return !this.socket.destroyed && now - this.idleSince < this.keepAliveMs;
  }

  send(request: WorkerRequest, handlers: ExchangeHandlers): Exchange {
    this.socket.ref();
    this.handlers = handlers;
    this.discarding = false;
    this.responded = false;
    this.isHead = request.method === "HEAD";
    this.state = HEAD;
    let head = `${request.method} ${request.path} HTTP/1.1\r\nhost: 127.0.0.1\r\n`;
    const { headers } = request;
    for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    const socket = this.socket;
    if (request.body.length === 0) {
      socket.write(`${head}${bodyless(request.method) ? "" : "content-length: 0\r\n"}\r\n`, "latin1");
    } else {
      // One writev for the head and the body.
      socket.cork();
      socket.write(`${head}content-length: ${request.body.length}\r\n\r\n`, "latin1");
      socket.write(request.body);
      socket.uncork();
    }
    return new ExchangeHandle(this, handlers);
  }

  // The exchange's handle calls these with its handlers: once the exchange is over and the
  // connection serves another, a late call finds other handlers and does nothing.

  pause(owner: ExchangeHandlers | undefined): void {
    if (owner !== this.handlers || this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  resume(owner: ExchangeHandlers | undefined): void {
    if (owner !== this.handlers || !this.paused) return;
    this.paused = false;
    this.socket.resume();
  }

  abort(owner: ExchangeHandlers): void {
    if (owner !== this.handlers) return;
    this.handlers = undefined;
    this.destroy();
  }

  destroy(): void {
    this.pool.remove(this);
    this.socket.destroy();
  }

  /** `bytes` new bytes at the start of `buffer`, which is reused for the next read. */
  private onData(buffer: Buffer, bytes: number): void {
    try {
      this.parse(buffer, bytes);
      const held = this.held;
      this.held = undefined;
      if (held && this.handlers) this.handlers.onBody(Buffer.from(held));
    } catch (error) {
      // A handler that throws ends its exchange, not the process that reads for every worker.
      this.fail(error as NodeJS.ErrnoException);
    }
  }

  private parse(buffer: Buffer, bytes: number): void {
    if (!this.handlers) {
      // Nothing was asked: a worker talking out of turn is not a worker to keep talking to.
      this.destroy();
      return;
    }
    this.responded = true;
    let data = buffer.subarray(0, bytes);
    if (this.partial) {
      data = Buffer.concat([this.partial, data]);
      this.partial = undefined;
    }
    let at = 0;
    while (at < data.length && this.handlers) {
      switch (this.state) {
        case HEAD: {
          const end = data.indexOf(CRLFCRLF, at);
          if (end < 0) {
            this.keepPartial(data, at, "response head");
            return;
          }
          if (!this.readHead(data.toString("latin1", at, end))) return;
          at = end + 4;
          break;
        }
        case CHUNK_SIZE: {
          const end = data.indexOf(CRLF, at);
          if (end < 0) {
            this.keepPartial(data, at, "chunk size");
            return;
          }
          const line = data.toString("latin1", at, end);
          const extensionAt = line.indexOf(";");
          const digits = (extensionAt < 0 ? line : line.slice(0, extensionAt)).trim();
          if (!/^[0-9a-fA-F]{1,12}$/.test(digits)) {
            this.protocolError(`bad chunk size "${line.slice(0, 20)}"`);
            return;
          }
          this.remaining = Number.parseInt(digits, 16);
          this.state = this.remaining === 0 ? TRAILERS : CHUNK_DATA;
          at = end + 2;
          break;
        }
        case CHUNK_DATA:
        case FIXED: {
          const take = Math.min(this.remaining, data.length - at);
          const piece = data.subarray(at, at + take);
          at += take;
          this.remaining -= take;
          if (this.remaining === 0) {
            if (this.state === FIXED) this.state = DONE;
            else this.state = CHUNK_DATA_END;
          }
          this.body(piece);
          break;
        }
        case CHUNK_DATA_END: {
          if (data.length - at < 2) {
            this.keepPartial(data, at, "chunk");
            return;
          }
          if (data[at] !== 13 || data[at + 1] !== 10) {
            this.protocolError("chunk not followed by CRLF");
            return;
          }
          at += 2;
          this.state = CHUNK_SIZE;
          break;
        }
        case TRAILERS: {
          const end = data.indexOf(CRLF, at);
          if (end < 0) {
            this.keepPartial(data, at, "trailers");
            return;
          }
          if (end === at) this.state = DONE;
          at = end + 2;
          break;
        }
        case UNTIL_CLOSE: {
          const piece = at === 0 ? data : data.subarray(at);
          at = data.length;
          this.body(piece);
          break;
        }
      }
      // Bytes past the end of the response would put the connection out of step: it is not reused then.
      if (this.state === DONE && this.handlers) this.complete(at === data.length);
    }
  }

  /** Parses the status line and headers; false when the exchange is over (a bad head, or the handlers gave it up). */
  private readHead(text: string): boolean {
    // "HTTP/1.1 200 OK": the version's minor digit, three status digits, an optional reason.
    let lineEnd = text.indexOf("\r\n");
    if (lineEnd < 0) lineEnd = text.length;
    const minor = text.charCodeAt(7);
    const statusCode = digit(text, 9) * 100 + digit(text, 10) * 10 + digit(text, 11);
    if (
      !text.startsWith("HTTP/1.") ||
      (minor !== 48 && minor !== 49) ||
      text.charCodeAt(8) !== 32 ||
      !(statusCode >= 100) ||
      (lineEnd > 12 && text.charCodeAt(12) !== 32)
    ) {
      this.protocolError(`bad status line "${text.slice(0, Math.min(lineEnd, 40))}"`);
      return false;
    }
    if (statusCode < 200) {
      // Interim responses (100 Continue, 103 Early Hints) are not passed on; the final one follows.
      if (statusCode === 101) {
        this.protocolError("unexpected protocol switch");
        return false;
      }
      return true;
    }
    const headers: string[] = [];
    let contentLength: string | undefined;
    let transferEncoding: string | undefined;
    let connection = "";
    let keepAlive: string | undefined;
    let retryAfter: string | undefined;
    for (let at = lineEnd + 2; at < text.length; ) {
      let end = text.indexOf("\r\n", at);
      if (end < 0) end = text.length;
      const colon = text.indexOf(":", at);
      const first = text.charCodeAt(at);
      if (colon <= at || colon > end || first === 32 || first === 9) {
        this.protocolError(`bad header line "${text.slice(at, Math.min(end, at + 40))}"`);
        return false;
      }
      const name = text.slice(at, colon);
      const lower = name.toLowerCase();
      const value = text.slice(colon + 1, end).trim();
      at = end + 2;
      if (lower === "content-length") contentLength = value;
      else if (lower === "transfer-encoding") transferEncoding = value.toLowerCase();
      else if (lower === "connection") connection = value.toLowerCase();
      else if (lower === "keep-alive") keepAlive = value;
      else if (lower === "retry-after") retryAfter = value;
      if (!HOP_BY_HOP_HEADERS.has(lower)) headers.push(name, value);
    }
    this.reusable =
      minor === 49 && connection !== "close" && (connection === "keep-alive" || !/(?:^|,)\s*close\s*(?:,|$)/.test(connection));
    if (keepAlive !== undefined && keepAlive !== this.keepAliveHint) {
      this.keepAliveHint = keepAlive;
      const timeout = /(?:^|,)\s*timeout=(\d+)/i.exec(keepAlive);
      if (timeout) this.keepAliveMs = Number(timeout[1]) * 1000 - KEEP_ALIVE_MARGIN_MS;
    }
    let declaredLength: number | undefined;
    const bodyless = this.isHead || statusCode === 204 || statusCode === 304;
    if (bodyless) this.state = DONE;
    else if (transferEncoding !== undefined) {
      if (transferEncoding === "chunked" || /(?:^|,)\s*chunked\s*$/.test(transferEncoding)) this.state = CHUNK_SIZE;
      else {
        this.state = UNTIL_CLOSE;
        this.reusable = false;
      }
    } else if (contentLength !== undefined) {
      if (!/^\d{1,15}$/.test(contentLength)) {
        this.protocolError(`bad Content-Length "${contentLength.slice(0, 20)}"`);
        return false;
      }
      this.remaining = Number(contentLength);
      declaredLength = this.remaining;
      this.state = this.remaining === 0 ? DONE : FIXED;
    } else {
      this.state = UNTIL_CLOSE;
      this.reusable = false;
    }
    const keep = this.handlers!.onHead({
      statusCode,
      statusMessage: text.slice(13, lineEnd),
      headers,
      retryAfter,
      contentLength: declaredLength,
      bodyless,
    });
    if (!keep) this.discarding = true;
    return this.handlers !== undefined;
  }

  private body(piece: Buffer): void {
    if (piece.length === 0 || this.discarding) return;
    const held = this.held;
    this.held = piece;
    if (held) this.handlers!.onBody(Buffer.from(held));
  }

  private keepPartial(data: Buffer, at: number, what: string): void {
    const rest = data.subarray(at);
    if (rest.length > MAX_HEAD_BYTES) {
      this.protocolError(`${what} longer than ${MAX_HEAD_BYTES} bytes`);
      return;
    }
    this.partial = Buffer.from(rest);
  }

  /** The response ended where it should; `clean` when nothing followed it. */
  private complete(clean: boolean): void {
    const handlers = this.handlers!;
    const discarded = this.discarding;
    this.handlers = undefined;
    if (this.reusable && clean && !this.socket.destroyed) {
      // Back to reading, so the pool notices the worker closing it.
      if (this.paused) {
        this.paused = false;
        this.socket.resume();
      }
      this.idleSince = performance.now();
      this.socket.unref();
      this.pool.put(this);
    } else this.destroy();
    const last = this.held;
    this.held = undefined;
    if (!discarded) handlers.onEnd(last && Buffer.from(last));
  }

  private onClose(): void {
    this.pool.remove(this);
    if (!this.handlers) return;
    if (this.state === UNTIL_CLOSE) {
      this.state = DONE;
      this.reusable = false;
      this.complete(true);
      return;
    }
    const error: NodeJS.ErrnoException = new Error(
      this.responded ? "the worker closed the connection before the response ended" : "the worker closed the connection",
    );
    error.code = "ECONNRESET";
    this.fail(error);
  }

  private protocolError(message: string): void {
    const error: NodeJS.ErrnoException = new Error(`the worker's response is not valid HTTP/1.1: ${message}`);
    error.code = "HPE_INVALID_RESPONSE";
    this.fail(error);
  }

  private fail(error: NodeJS.ErrnoException): void {
    const handlers = this.handlers;
    const discarded = this.discarding;
    this.handlers = undefined;
    this.held = undefined;
    this.destroy();
    if (handlers && !discarded) handlers.onError(error, this.responded);
  }
}

/** What the proxy holds of one exchange; see WorkerConnection's pause, resume and abort. */
class ExchangeHandle implements Exchange {
  private readonly connection: WorkerConnection;
  private readonly handlers: ExchangeHandlers;

  constructor(connection: WorkerConnection, handlers: ExchangeHandlers) {
    this.connection = connection;
    this.handlers = handlers;
  }

  pause(): void {
    this.connection.pause(this.handlers);
  }

  resume(): void {
    this.connection.resume(this.handlers);
  }

  abort(): void {
    this.connection.abort(this.handlers);
  }
}

/** The decimal digit at `index`, or NaN. */
function digit(text: string, index: number): number {
  const code = text.charCodeAt(index) - 48;
  return code >= 0 && code <= 9 ? code : Number.NaN;
}

/** Methods whose requests carry no Content-Length when they have no body (as node:http sends them). */
function bodyless(method: string): boolean {
  return method === "GET" || method === "HEAD" || method === "DELETE" || method === "OPTIONS";
}
