// A minimal MCP-over-HTTP caller for benchmarks: it sends the same bytes the official SDK client
// sends for a 2026-07-28 tools/call, over one keep-alive connection with undici (the leanest
// maintained HTTP client for Node), and does nothing else. Timing it against the SDK client
// separates the worker's own overhead from the client library's.
import { RESULT_META_KEYS } from "@bod/contracts";
import { Client } from "undici";

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
  /** Calls a tool; rejects on a non-200 answer or a tool error. */
  callTool(name: string, args: Record<string, unknown>): Promise<RawToolAnswer>;
  close(): Promise<void>;
}

export function createRawMcpClient(url: URL): RawMcpClient {
  const client = new Client(url.origin, { pipelining: 1 });
  let id = 0;
  return {
    async callTool(name, args) {
      const body = JSON.stringify({ jsonrpc: "2.0", id: ++id, method: "tools/call", params: { name, arguments: args, _meta: META } });
      const response = await client.request({
        path: url.pathname,
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2026-07-28",
          "mcp-method": "tools/call",
          "mcp-name": name,
        },
        body,
      });
      const text = await response.body.text();
      const answer =
        response.statusCode === 200 ? (JSON.parse(text) as { result?: { isError?: boolean; _meta?: Record<string, unknown> } }) : {};
      if (!answer.result || answer.result.isError) throw new Error(`${name}: ${response.statusCode} ${text}`);
      const blenderMs = answer.result._meta?.[RESULT_META_KEYS.blenderMs];
      return { text, blenderMs: typeof blenderMs === "number" ? blenderMs : undefined };
    },
    close() {
      return client.close();
    },
  };
}
