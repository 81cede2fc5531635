// A minimal MCP-over-HTTP caller for benchmarks: it sends the same bytes the official SDK client
// sends for a 2026-07-28 tools/call over one keep-alive connection, and does nothing else. Timing
// it against the SDK client separates the worker's own overhead from the client library's.
import { Agent, request } from "node:http";

const META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "bod-bench-raw", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": {},
};

export interface RawMcpClient {
  /** Calls a tool and resolves with the response text; rejects on a non-200 answer. */
  callTool(name: string, args: Record<string, unknown>): Promise<string>;
  close(): void;
}

export function createRawMcpClient(url: URL): RawMcpClient {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let id = 0;
  return {
    callTool(name, args) {
      const body = JSON.stringify({ jsonrpc: "2.0", id: ++id, method: "tools/call", params: { name, arguments: args, _meta: META } });
      const headers = {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tools/call",
        "mcp-name": name,
      };
      return new Promise((resolve, reject) => {
        const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", agent, headers }, (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            text += chunk;
          });
          res.on("end", () =>
            res.statusCode === 200 && !text.includes('"isError":true') ? resolve(text) : reject(new Error(`${name}: ${text}`)),
          );
        });
        req.on("error", reject);
        req.end(body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}
