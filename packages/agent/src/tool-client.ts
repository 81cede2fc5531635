// The tool port of the agent and its MCP implementation: the official MCP client over Streamable
// HTTP to a worker's /mcp or the runtime's /projects/{projectId}/mcp. It connects on the first
// call for a project (so reasoning alone never wakes Blender), forwards progress notifications
// and cancellation, and reconnects after a connection breaks. Every change carries an idempotency
// key (`_meta["bod/idempotencyKey"]`), fresh per call and the same on the client's own retries,
// so a change sent again after a broken connection is applied once. A call whose response stream
// is cut after it started (a proxy or an ingress dropping it mid-render) fails at once as a broken
// connection, and is sent again like one, rather than waiting for the call's timeout.
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import {
  findToolContract,
  type PartialImage,
  PROGRESS_META_KEYS,
  REQUEST_META_KEYS,
  RESULT_META_KEYS,
  toPartialImage,
} from "@bod/contracts";
import { Client, type FetchLike, SdkError, SdkErrorCode, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { ToolClientError } from "./errors/tool-client-error.ts";

export interface ToolCallRequest {
  projectId: string;
  name: string;
  arguments: Record<string, unknown>;
  /**
   * The change's idempotency key (1 to 128 visible ASCII characters). Default: a fresh UUID for a
   * tool that changes the scene, none for a read. Pass the same key only to retry the same call.
   */
  idempotencyKey?: string;
}

export interface ToolCallProgress {
  progress: number;
  total?: number;
  message?: string;
  /** An image of the work so far (a render's first look), when the worker sent one. */
  image?: PartialImage;
}

export interface ToolCallOptions {
  signal?: AbortSignal;
  onProgress?: (progress: ToolCallProgress) => void;
  /** Milliseconds without an answer (progress notifications restart the clock). */
  timeoutMs?: number;
}

/** A content block of a tool result, as MCP defines them (text, image, resource_link, ...). */
export interface ToolContentBlock {
  type: string;
  [key: string]: unknown;
}

export interface ToolCallOutcome {
  /** The tool ran and reported a failure; `text` says why and how to recover. */
  isError: boolean;
  content: ToolContentBlock[];
  structuredContent?: unknown;
  /** The text blocks joined, for people and models. */
  text: string;
  /** Machine-readable error code from the result's metadata, when the server gives one. */
  errorCode?: string;
  /** The change had been applied by an earlier try with the same key: this is that try's result. */
  repeated?: boolean;
}

export interface ToolClient {
  /** Makes one tool call. Throws ToolClientError when the call could not be made or answered. */
  callTool(request: ToolCallRequest, options?: ToolCallOptions): Promise<ToolCallOutcome>;
  /** Closes every open connection. */
  close(): Promise<void>;
}

/** Where one project's MCP endpoint is, and the bearer token it needs, if any. */
export interface ToolEndpoint {
  url: string;
  token?: string;
}

export interface McpToolClientOptions {
  /**
   * The MCP endpoint. `{projectId}` is replaced by the (URL-encoded) project id, so one client can
   * serve every project through the runtime: `http://127.0.0.1:8080/projects/{projectId}/mcp`.
   * Give this or `endpoint`.
   */
  url?: string;
  /**
   * Finds a project's endpoint before each call (a Knative Service's address, created on first
   * use); its token, when it has one, replaces `token`. A failure makes the call fail as
   * "unreachable". Give this or `url`.
   */
  endpoint?: (projectId: string, signal?: AbortSignal) => Promise<ToolEndpoint>;
  /** Bearer token sent as `Authorization: Bearer ...`, or a function returning one. */
  token?: string | (() => string | Promise<string>);
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** The fetch to use (tests, proxies); defaults to the global fetch. */
  fetch?: FetchLike;
  /** Milliseconds to wait for the connection handshake; default 120 000 (a cold worker may be starting). */
  connectTimeoutMs?: number;
  /** Default milliseconds per call without progress; default 600 000. */
  callTimeoutMs?: number;
  clientInfo?: { name: string; version: string };
  /** Protocol negotiation: "auto" (default) prefers 2026-07-28 and falls back; "legacy" speaks 2025-11-25 only. */
  protocol?: "auto" | "legacy";
  /**
   * How many times a call whose connection broke before its answer is sent again, on a new
   * connection and with the same idempotency key: reads and keyed changes only. Default 2.
   */
  retries?: number;
  /** Milliseconds before the first retry, doubled for each one after. Default 500. */
  retryDelayMs?: number;
}

export interface McpToolClient extends ToolClient {
  /** URLs with an open (or opening) connection. */
  openConnections(): string[];
}

/** The response stream of a call broke or ended before the call's answer came. */
class StreamCutError extends Error {
  constructor(url: string, cause: unknown) {
    super(
      cause === undefined
        ? `the response stream from ${url} ended before the answer`
        : `the response stream from ${url} was cut before the answer (${describe(cause)})`,
      cause === undefined ? undefined : { cause },
    );
    this.name = "StreamCutError";
  }
}

/**
 * The call a request belongs to: the fetch below runs inside callTool's async context, so it
 * finds the call whose response stream it hands to the MCP transport.
 */
const callInProgress = new AsyncLocalStorage<(cause: unknown) => void>();

/** The ids of the JSON-RPC requests (not notifications or responses) in a POST body. */
function requestIds(body: unknown): Set<unknown> {
  const ids = new Set<unknown>();
  if (typeof body !== "string") return ids;
  try {
    const parsed = JSON.parse(body) as unknown;
    for (const message of Array.isArray(parsed) ? parsed : [parsed])
      if (message && typeof message === "object" && "method" in message && "id" in message) ids.add(message.id);
  } catch {
    // Not JSON: nothing to wait for.
  }
  return ids;
}

/**
 * Wraps `inner` so that a call learns when the event stream answering its request breaks or ends
 * before the answer: the transport notices that only in its error callback, and the call would
 * wait for its timeout (the MCP servers here send no event ids, so there is nothing to resume).
 */
function watchingStreams(inner: FetchLike): FetchLike {
  return async (input, init) => {
    const cut = callInProgress.getStore();
    const response = await inner(input, init);
    const type = response.headers.get("content-type") ?? "";
    const waiting = cut && init?.method === "POST" ? requestIds(init.body) : new Set<unknown>();
    if (!cut || waiting.size === 0 || !response.ok || !response.body || !/^text\/event-stream\b/i.test(type)) return response;
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let pending = "";
    /** Reads the complete events in `pending` and crosses off the requests they answer. */
    const scan = () => {
      const events = pending.split(/\r?\n\r?\n/);
      pending = events.pop() ?? "";
      for (const event of events) {
        const data = event
          .split(/\r?\n/)
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).replace(/^ /, ""))
          .join("\n");
        try {
          const message = JSON.parse(data) as { id?: unknown; result?: unknown; error?: unknown };
          if ("result" in message || "error" in message) waiting.delete(message.id);
        } catch {
          // Not a JSON-RPC message (a comment, a priming event).
        }
      }
    };
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          if (waiting.size > 0) cut(error);
          controller.error(error);
          return;
        }
        if (chunk.done) {
          if (waiting.size > 0) cut(undefined);
          controller.close();
          return;
        }
        if (waiting.size > 0) {
          pending += decoder.decode(chunk.value, { stream: true });
          scan();
        }
        controller.enqueue(chunk.value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (error instanceof Error && error.name === "AbortError");
}

/** Whether a tool may change the scene (so it gets an idempotency key); unknown tools are taken to. */
function changesScene(name: string): boolean {
  return !(findToolContract(name)?.annotations.readOnlyHint ?? false);
}

/** Waits `ms` milliseconds, or until `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
    return `${error.message}${cause}`;
  }
  return String(error);
}

/** Creates an MCP tool client; nothing connects until the first call. */
export function createMcpToolClient(options: McpToolClientOptions): McpToolClient {
  const connections = new Map<string, Promise<Client>>();
  const connectTimeoutMs = options.connectTimeoutMs ?? 120_000;
  const callTimeoutMs = options.callTimeoutMs ?? 600_000;
  const retries = options.retries ?? 2;
  const retryDelayMs = options.retryDelayMs ?? 500;
  const template = options.url;
  if ((template === undefined) === (options.endpoint === undefined))
    throw new TypeError("createMcpToolClient: give either url or endpoint.");

  async function endpointFor(projectId: string, signal: AbortSignal | undefined): Promise<ToolEndpoint> {
    if (template !== undefined) return { url: template.replaceAll("{projectId}", encodeURIComponent(projectId)) };
    try {
      return await options.endpoint!(projectId, signal);
    } catch (error) {
      if (isAbort(error, signal))
        throw new ToolClientError("cancelled", "The call was cancelled before the connection was made.", {
          maybeApplied: false,
          cause: error,
        });
      throw new ToolClientError("unreachable", `Could not find the scene server of project "${projectId}": ${describe(error)}`, {
        maybeApplied: false,
        cause: error,
      });
    }
  }

  async function connect(url: string, signal: AbortSignal | undefined, endpointToken: string | undefined): Promise<Client> {
    const token = endpointToken ?? options.token;
    const transport = new StreamableHTTPClientTransport(new URL(url), {
      fetch: watchingStreams(options.fetch ?? ((input, init) => fetch(input, init))),
      ...(options.headers ? { requestInit: { headers: options.headers } } : {}),
      ...(token !== undefined ? { authProvider: { token: async () => (typeof token === "function" ? await token() : token) } } : {}),
    });
    // "auto" speaks the 2026-07-28 protocol to servers that offer it (per-request streams, so a
    // cancelled call closes its stream) and falls back to the 2025 initialize handshake.
    const client = new Client(options.clientInfo ?? { name: "bod-agent", version: "0.1.0" }, {
      versionNegotiation: { mode: options.protocol ?? "auto" },
    });
    client.onclose = () => {
      // The server went away (a worker drained, the runtime restarted): the next call reconnects.
      if (connections.get(url) === pending) connections.delete(url);
    };
    const pending = client
      .connect(transport, { timeout: connectTimeoutMs, ...(signal ? { signal } : {}) })
      .then(() => client)
      .catch(async (error: unknown) => {
        connections.delete(url);
        await client.close().catch(() => {});
        throw error;
      });
    connections.set(url, pending);
    return pending;
  }

  async function clientFor(url: string, signal: AbortSignal | undefined, endpointToken: string | undefined): Promise<Client> {
    const existing = connections.get(url);
    if (existing) return existing;
    try {
      return await connect(url, signal, endpointToken);
    } catch (error) {
      if (isAbort(error, signal))
        throw new ToolClientError("cancelled", "The call was cancelled before the connection was made.", {
          maybeApplied: false,
          cause: error,
        });
      if (error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout) {
        throw new ToolClientError("timeout", `The scene server at ${url} did not answer within ${connectTimeoutMs / 1000} s.`, {
          maybeApplied: false,
          cause: error,
        });
      }
      throw new ToolClientError("unreachable", `Could not connect to the scene server at ${url}: ${describe(error)}`, {
        maybeApplied: false,
        cause: error,
      });
    }
  }

  async function drop(url: string): Promise<void> {
    const pending = connections.get(url);
    connections.delete(url);
    const client = await pending?.catch(() => undefined);
    await client?.close().catch(() => {});
  }

  /** One try of a call, with `key` as its idempotency key when it has one. */
  async function callOnce(request: ToolCallRequest, callOptions: ToolCallOptions, key: string | undefined): Promise<ToolCallOutcome> {
    const { signal, onProgress } = callOptions;
    const endpoint = await endpointFor(request.projectId, signal);
    const url = endpoint.url;
    const client = await clientFor(url, signal, endpoint.token);
    const timeout = callOptions.timeoutMs ?? callTimeoutMs;
    // Rejects once a response stream of the call has broken or ended without its answer.
    let cut!: (error: Error) => void;
    const streamCut = new Promise<never>((_resolve, reject) => {
      cut = reject;
    });
    streamCut.catch(() => {});
    const onStreamCut = (cause: unknown) => cut(new StreamCutError(url, cause));
    try {
      const call = callInProgress.run(onStreamCut, () =>
        client.callTool(
          {
            name: request.name,
            arguments: request.arguments,
            ...(key !== undefined ? { _meta: { [REQUEST_META_KEYS.idempotencyKey]: key } } : {}),
          },
          {
            timeout,
            resetTimeoutOnProgress: true,
            ...(signal ? { signal } : {}),
            ...(onProgress
              ? {
                  onprogress: (progress: { progress: number; total?: number; message?: string; _meta?: Record<string, unknown> }) => {
                    const image = toPartialImage(progress._meta?.[PROGRESS_META_KEYS.partialImage]);
                    onProgress({
                      progress: progress.progress,
                      ...(progress.total !== undefined ? { total: progress.total } : {}),
                      ...(progress.message !== undefined ? { message: progress.message } : {}),
                      ...(image ? { image } : {}),
                    });
                  },
                }
              : {}),
          },
        ),
      );
      const result = await Promise.race([call, streamCut]);
      const content = (Array.isArray(result.content) ? result.content : []) as ToolContentBlock[];
      const text = content
        .filter((block) => block.type === "text" && typeof block.text === "string")
        .map((block) => block.text as string)
        .join("\n");
      const meta = (result as { _meta?: Record<string, unknown> })._meta;
      const code = meta?.[RESULT_META_KEYS.errorCode];
      const errorCode = typeof code === "string" ? code : undefined;
      return {
        isError: result.isError === true,
        content,
        ...(result.structuredContent !== undefined ? { structuredContent: result.structuredContent } : {}),
        text,
        ...(errorCode ? { errorCode } : {}),
        ...(meta?.[RESULT_META_KEYS.repeated] === true ? { repeated: true } : {}),
      };
    } catch (error) {
      if (isAbort(error, signal)) {
        throw new ToolClientError("cancelled", `${request.name} was cancelled.`, { maybeApplied: true, cause: error });
      }
      if (error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout) {
        throw new ToolClientError("timeout", `${request.name} did not finish within ${timeout / 1000} s without progress.`, {
          maybeApplied: true,
          cause: error,
        });
      }
      // Anything else may mean the connection is gone (a cut stream does): start afresh next time.
      await drop(url);
      throw new ToolClientError("protocol", `${request.name} failed: ${describe(error)}`, { maybeApplied: true, cause: error });
    }
  }

  return {
    async callTool(request, callOptions = {}) {
      const { signal } = callOptions;
      if (signal?.aborted) throw new ToolClientError("cancelled", "The call was cancelled before it started.", { maybeApplied: false });
      // A change is keyed, the same key on every try, so the worker applies it once however often
      // it is sent; a read may simply be sent again.
      const key = request.idempotencyKey ?? (changesScene(request.name) ? randomUUID() : undefined);
      const mayRetry = key !== undefined || !changesScene(request.name);
      for (let tries = 1; ; tries++) {
        try {
          return await callOnce(request, callOptions, key);
        } catch (error) {
          const broken = ToolClientError.is(error) && error.code === "protocol";
          if (!broken || !mayRetry || tries > retries || signal?.aborted) throw error;
          await pause(retryDelayMs * 2 ** (tries - 1), signal);
          if (signal?.aborted)
            throw new ToolClientError("cancelled", `${request.name} was cancelled.`, { maybeApplied: true, cause: error });
        }
      }
    },
    async close() {
      await Promise.all([...connections.keys()].map((url) => drop(url)));
    },
    openConnections() {
      return [...connections.keys()];
    },
  };
}
