// End-to-end: the same worker reached the ways older and local clients reach it: the 2025
// initialize handshake over Streamable HTTP (SDK v2 in legacy mode and SDK v1), the legacy
// HTTP+SSE transport, and stdio. Also DNS-rebinding protection.

import { SCRIPT_TOOL_NAMES, TOOL_CONTRACTS } from "@bod/contracts";
import { type CallToolResult, Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { Client as ClientV1 } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport as SSEClientTransportV1 } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport as StreamableHTTPClientTransportV1 } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_ENTRY, makeTempDir, removeDir, startWorkerProcess, type WorkerProcess } from "./support/worker-process.ts";

let worker: WorkerProcess;

beforeAll(async () => {
  worker = await startWorkerProcess();
});

afterAll(async () => {
  await worker?.stop();
  if (worker) await removeDir(worker.dataDir);
});

describe("protocol eras and transports", () => {
  it("serves a 2025-era client (SDK v2, initialize handshake) on /mcp", async () => {
    const client = new Client({ name: "legacy-v2", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${worker.url}/mcp`)));
    expect(client.getServerVersion()?.name).toBe("blender-on-demand");
    const result = (await client.callTool({ name: "add_object", arguments: { type: "torus", name: "Donut" } })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    await client.close();
  });

  it("serves an SDK v1 client over Streamable HTTP", async () => {
    const client = new ClientV1({ name: "v1", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransportV1(new URL(`${worker.url}/mcp`)));
    const { tools } = await client.listTools();
    expect(tools.length).toBe(TOOL_CONTRACTS.filter((tool) => !SCRIPT_TOOL_NAMES.has(tool.name)).length);
    const scene = await client.callTool({ name: "get_scene", arguments: {} });
    expect(JSON.stringify(scene.structuredContent)).toContain("Donut");
    await client.close();
  });

  it("serves the legacy HTTP+SSE transport at /sse and /messages", async () => {
    const client = new ClientV1({ name: "sse", version: "1.0.0" });
    await client.connect(new SSEClientTransportV1(new URL(`${worker.url}/sse`)));
    const result = await client.callTool({ name: "add_object", arguments: { type: "cone", name: "SseCone", color: "green" } });
    expect(result.isError).toBeFalsy();
    expect(JSON.stringify(result.structuredContent)).toContain("#008000");
    await client.close();
  });

  it("refuses requests whose Host or Origin is not this machine (DNS rebinding)", async () => {
    const { request } = await import("node:http");
    const status = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: "127.0.0.1",
            port: worker.port,
            path: "/mcp",
            method: "POST",
            headers: { "content-type": "application/json", ...headers },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        req.end('{"jsonrpc":"2.0","id":1,"method":"ping"}');
      });
    expect(await status({ host: "evil.example" })).toBe(403);
    expect(await status({ host: `127.0.0.1:${worker.port}`, origin: "https://evil.example" })).toBe(403);
  });
});

describe("stdio", () => {
  it("serves the same tools over stdin/stdout with logs kept off stdout", async () => {
    const dataDir = await makeTempDir();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI_ENTRY, "worker", "--stdio", "--data-dir", dataDir],
      stderr: "pipe",
    });
    const client = new Client({ name: "stdio", version: "1.0.0" });
    try {
      await client.connect(transport);
      const added = (await client.callTool({ name: "add_object", arguments: { type: "monkey", name: "Suzanne" } })) as CallToolResult;
      expect(added.isError, JSON.stringify(added.content)).toBeFalsy();
      const scene = (await client.callTool({ name: "get_scene", arguments: {} })) as CallToolResult;
      expect(JSON.stringify(scene.structuredContent)).toContain("Suzanne");
    } finally {
      await client.close();
      await removeDir(dataDir);
    }
  });
});
