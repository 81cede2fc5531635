// A minimal MCP-over-HTTP caller for benchmarks. It writes the bytes the official SDK client
// sends for a 2026-07-28 tools/call onto one kept-alive TCP connection and reads back a JSON
// answer of declared length, and does nothing else: no client library's own work (undici's
// takes about 0.3 ms a call on the benchmark machine) counts toward the worker's overhead.
// Timing it against the SDK client separates the worker's own overhead from the client's.
import { connect, type Socket } from "node:net";
import { RESULT_META_KEYS } from "@bod/contracts";

const META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "bod-bench-raw", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": {},
};

export interface RawToolAnswer {
  /** The JSON-RPC response as sent. */
  text: string;
  /** What the worker said Blender itself spent on the call (its result's `_meta["bod/blenderMs"]`). */
  blenderMs: number | undefined;
}

export interface RawMcpClient {
  /** Calls a tool; rejects on a non-200 answer, an answer that is not JSON of declared length, or a tool error. */
  callTool(name: string, args: Record<string, unknown>): Promise<RawToolAnswer>;
  close(): Promise<void>;
}

interface RawHttpResponse {
  status: number;
  body: string;
}

/**
 * One HTTP/1.1 exchange at a time over a kept-alive connection: `send` writes a whole request
 * and resolves with the response, which must carry content-length (the worker's JSON answers
 * do; a streamed answer is refused rather than misread).
 */
function createRawHttpConnection(url: URL) {
  let socket: Socket | undefined;
  let received: Buffer = Buffer.alloc(0);
  let waiting: { resolve: (response: RawHttpResponse) => void; reject: (error: Error) => void } | undefined;

  function fail(error: Error) {
    const pending = waiting;
    waiting = undefined;
    socket?.destroy();
    socket = undefined;
    pending?.reject(error);
  }

  function onData(chunk: Buffer) {
    received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
    const headEnd = received.indexOf("\r\n\r\n");
    if (headEnd === -1) return;
    const head = received.subarray(0, headEnd).toString("latin1");
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!length) return fail(new Error(`expected an answer with content-length, got: ${head.split("\r\n")[0]}`));
    const end = headEnd + 4 + Number(length[1]);
    if (received.length < end) return;
    const body = received.subarray(headEnd + 4, end).toString("utf8");
    received = received.subarray(end);
    const pending = waiting;
    waiting = undefined;
    pending?.resolve({ status, body });
  }

  async function connected(): Promise<Socket> {
    if (socket) return socket;
    const opened = connect({ host: url.hostname, port: Number(url.port), noDelay: true });
    opened.on("data", onData);
    opened.on("error", (error) => fail(error));
    opened.on("close", () => fail(new Error("the server closed the connection")));
    await new Promise<void>((resolve, reject) => {
      opened.once("connect", resolve);
      opened.once("error", reject);
    });
    socket = opened;
    return opened;
  }

  return {
    async send(request: string): Promise<RawHttpResponse> {
      const open = await connected();
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
        open.write(request);
      });
    },
    close() {
      socket?.removeAllListeners("close");
      socket?.destroy();
      socket = undefined;
    },
  };
}

export function createRawMcpClient(url: URL): RawMcpClient {
  const connection = createRawHttpConnection(url);
  let id = 0;
  return {
    async callTool(name, args) {
      const body = JSON.stringify({ jsonrpc: "2.0", id: ++id, method: "tools/call", params: { name, arguments: args, _meta: META } });
      const request =
        `POST ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\n` +
        "accept: application/json, text/event-stream\r\nmcp-protocol-version: 2026-07-28\r\n" +
        `mcp-method: tools/call\r\nmcp-name: ${name}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
      const response = await connection.send(request);
      const answer =
        response.status === 200 ? (JSON.parse(response.body) as { result?: { isError?: boolean; _meta?: Record<string, unknown> } }) : {};
      if (!answer.result || answer.result.isError) throw new Error(`${name}: ${response.status} ${response.body}`);
      const blenderMs = answer.result._meta?.[RESULT_META_KEYS.blenderMs];
      return { text: response.body, blenderMs: typeof blenderMs === "number" ? blenderMs : undefined };
    },
    async close() {
      connection.close();
    },
  };
}
