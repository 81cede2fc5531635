import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { createRawMcpClient } from "./raw-mcp-client.ts";

let server: Server | undefined;

async function serve(handler: Parameters<typeof createServer>[1]): Promise<URL> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no port");
  return new URL(`http://127.0.0.1:${address.port}/mcp`);
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

describe("the bench's bare MCP caller", () => {
  it("sends a 2026-07-28 tools/call and reads answers split across writes, on one connection", async () => {
    const seen: { headers: Record<string, unknown>; body: string; socket: unknown }[] = [];
    const url = await serve((request, response) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        seen.push({ headers: request.headers, body, socket: request.socket });
        const id = (JSON.parse(body) as { id: number }).id;
        const answer = JSON.stringify({
          jsonrpc: "2.0",
          id,
          result: { content: [], _meta: { "bod/blenderMs": 1.25 }, pad: "é".repeat(5000) },
        });
        response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(answer) });
        // Two writes: the caller must wait for the whole declared length.
        const bytes = Buffer.from(answer);
        response.write(bytes.subarray(0, 100));
        setTimeout(() => response.end(bytes.subarray(100)), 5);
      });
    });
    const client = createRawMcpClient(url);
    const first = await client.callTool("get_scene", { limit: 10 });
    const second = await client.callTool("add_object", { type: "cube" });
    await client.close();
    expect(first.blenderMs).toBe(1.25);
    expect(JSON.parse(second.text).id).toBe(2);
    expect(seen[0]?.headers).toMatchObject({ "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "get_scene" });
    expect(JSON.parse(seen[1]?.body ?? "{}").params).toMatchObject({ name: "add_object", arguments: { type: "cube" } });
    expect(seen[1]?.socket).toBe(seen[0]?.socket);
  });

  it("refuses a tool error, a non-200 answer and an answer without content-length", async () => {
    const url = await serve((request, response) => {
      request.resume();
      request.on("end", () => {
        if (request.headers["mcp-name"] === "bad") {
          const refusal = '{"jsonrpc":"2.0","id":1,"error":{"code":-32602}}';
          response.writeHead(400, { "content-type": "application/json", "content-length": refusal.length }).end(refusal);
        } else if (request.headers["mcp-name"] === "failing") {
          response.end('{"jsonrpc":"2.0","id":1,"result":{"isError":true,"content":[]}}');
        } else {
          response.writeHead(200, { "transfer-encoding": "chunked" });
          response.end("{}");
        }
      });
    });
    await expect(createRawMcpClient(url).callTool("bad", {})).rejects.toThrow(/bad: 400/);
    await expect(createRawMcpClient(url).callTool("failing", {})).rejects.toThrow(/isError/);
    await expect(createRawMcpClient(url).callTool("streamed", {})).rejects.toThrow(/content-length/);
  });
});
