// The MCP tool client against a real MCP server (the official server SDK over Streamable HTTP on
// 127.0.0.1): lazy connection, bearer token, per-project URLs, progress, isError results,
// cancellation reaching the server, an unreachable server, and a response stream that a proxy (the
// fault proxy of @bod/testing) cuts mid-call.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createFaultProxy } from "@bod/testing";
import { toNodeHandler } from "@modelcontextprotocol/node";
import { createMcpHandler, McpServer } from "@modelcontextprotocol/server";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ToolClientError } from "./errors/tool-client-error.ts";
import { createMcpToolClient } from "./tool-client.ts";

interface TestServer {
  url: string;
  requests: Array<{ path: string; headers: IncomingHttpHeaders }>;
  started: string[];
  cancelled: string[];
  /** Every tools/call that arrived, with its idempotency key; `dropped` ones had their connection cut unanswered. */
  toolCalls: Array<{ name: string; key: unknown; dropped?: boolean }>;
  close(): Promise<void>;
}

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new Error("aborted"));
    });
  });
}

/** `dropToolCalls`: cut the connection of this many tools/call requests, as a worker that died with them would. */
async function startServer(options: { dropToolCalls?: number } = {}): Promise<TestServer> {
  const cancelled: string[] = [];
  const started: string[] = [];
  const requests: TestServer["requests"] = [];
  const toolCalls: TestServer["toolCalls"] = [];
  let toDrop = options.dropToolCalls ?? 0;
  const build = () => {
    const server = new McpServer({ name: "test-scene", version: "1.0.0" });
    server.registerTool(
      "add_object",
      {
        description: "add",
        inputSchema: z.object({ type: z.string() }),
        outputSchema: z.object({ object: z.object({ name: z.string() }) }),
      },
      async ({ type }, context) => {
        toolCalls.push({ name: "add_object", key: context.mcpReq._meta?.["bod/idempotencyKey"] });
        const structured = { object: { name: `${type[0]!.toUpperCase()}${type.slice(1)}` } };
        return { structuredContent: structured, content: [{ type: "text", text: JSON.stringify(structured) }] };
      },
    );
    server.registerTool("render_frame", { description: "render", inputSchema: z.object({}) }, async (_input, context) => {
      const token = context.mcpReq._meta?.progressToken;
      for (const progress of [1, 2, 3]) {
        if (token !== undefined)
          await context.mcpReq.notify({
            method: "notifications/progress",
            params: { progressToken: token, progress, total: 3, message: `sample ${progress}` },
          });
        await sleep(10, context.mcpReq.signal);
      }
      return { content: [{ type: "resource_link", uri: "http://x/render.png", name: "render", mimeType: "image/png" }] };
    });
    server.registerTool("get_scene", { description: "read", inputSchema: z.object({}) }, async (_input, context) => {
      toolCalls.push({ name: "get_scene", key: context.mcpReq._meta?.["bod/idempotencyKey"] });
      return { content: [{ type: "text", text: "{}" }] };
    });
    server.registerTool("delete_object", { description: "delete", inputSchema: z.object({ name: z.string() }) }, async ({ name }) => ({
      isError: true,
      content: [{ type: "text", text: `object_not_found: No object named ${name}.` }],
      _meta: { "bod/errorCode": "object_not_found" },
    }));
    // Reports progress at once, then works for 10 s the first time a key comes; again, it finishes at once.
    server.registerTool("render_long", { description: "long render", inputSchema: z.object({}) }, async (_input, context) => {
      const key = context.mcpReq._meta?.["bod/idempotencyKey"];
      const first = !toolCalls.some((call) => call.name === "render_long" && call.key === key);
      toolCalls.push({ name: "render_long", key });
      const token = context.mcpReq._meta?.progressToken;
      if (token !== undefined)
        await context.mcpReq.notify({ method: "notifications/progress", params: { progressToken: token, progress: 0, total: 1 } });
      if (first) await sleep(10_000, context.mcpReq.signal).catch(() => {});
      return { content: [{ type: "text", text: "rendered" }] };
    });
    server.registerTool("slow", { description: "slow", inputSchema: z.object({}) }, async (_input, context) => {
      started.push("slow");
      try {
        await sleep(10_000, context.mcpReq.signal);
      } catch {
        cancelled.push("slow");
      }
      return { content: [{ type: "text", text: "finished" }] };
    });
    return server;
  };
  const handler = toNodeHandler(createMcpHandler(build));
  const http: Server = createServer((request, response) => {
    requests.push({ path: request.url ?? "", headers: request.headers });
    if (toDrop > 0 && request.headers["mcp-method"] === "tools/call") {
      toDrop -= 1;
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const { params } = JSON.parse(Buffer.concat(chunks).toString()) as { params: { name: string; _meta?: Record<string, unknown> } };
        toolCalls.push({ name: params.name, key: params._meta?.["bod/idempotencyKey"], dropped: true });
        request.socket.destroy();
      });
      return;
    }
    void handler(request, response);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  const server: TestServer = {
    url: `http://127.0.0.1:${port}`,
    requests,
    started,
    cancelled,
    toolCalls,
    async close() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
  servers.push(server);
  return server;
}

describe("createMcpToolClient", () => {
  it("connects on the first call, per project, with the bearer token", async () => {
    const server = await startServer();
    const client = createMcpToolClient({ url: `${server.url}/projects/{projectId}/mcp`, token: "secret-token" });
    expect(server.requests).toEqual([]);
    expect(client.openConnections()).toEqual([]);
    const outcome = await client.callTool({ projectId: "p 1", name: "add_object", arguments: { type: "cube" } });
    expect(outcome).toMatchObject({ isError: false, structuredContent: { object: { name: "Cube" } } });
    expect(server.requests.every((request) => request.path === "/projects/p%201/mcp")).toBe(true);
    expect(server.requests.every((request) => request.headers.authorization === "Bearer secret-token")).toBe(true);
    expect(client.openConnections()).toEqual([`${server.url}/projects/p%201/mcp`]);
    await client.callTool({ projectId: "p2", name: "add_object", arguments: { type: "cone" } });
    expect(client.openConnections()).toHaveLength(2);
    await client.close();
    expect(client.openConnections()).toEqual([]);
  });

  it("finds each project's endpoint with `endpoint` before a call, with its own token or none", async () => {
    const [first, second] = [await startServer(), await startServer()];
    const asked: string[] = [];
    const client = createMcpToolClient({
      endpoint: async (projectId) => {
        asked.push(projectId);
        return projectId === "a" ? { url: `${first.url}/mcp`, token: "token-a" } : { url: `${second.url}/mcp` };
      },
    });
    await client.callTool({ projectId: "a", name: "add_object", arguments: { type: "cube" } });
    await client.callTool({ projectId: "b", name: "add_object", arguments: { type: "cone" } });
    await client.callTool({ projectId: "a", name: "add_object", arguments: { type: "torus" } });
    expect(asked).toEqual(["a", "b", "a"]);
    expect(first.requests.length).toBeGreaterThan(0);
    expect(first.requests.every((request) => request.headers.authorization === "Bearer token-a")).toBe(true);
    expect(second.requests.length).toBeGreaterThan(0);
    expect(second.requests.every((request) => request.headers.authorization === undefined)).toBe(true);
    expect(client.openConnections().sort()).toEqual([`${first.url}/mcp`, `${second.url}/mcp`].sort());
    await client.close();
  });

  it("fails a call as unreachable, nothing applied, when the endpoint cannot be found", async () => {
    const client = createMcpToolClient({
      endpoint: async () => {
        throw new Error("the Knative Service got no address within 120 s");
      },
    });
    const error = await client
      .callTool({ projectId: "p", name: "add_object", arguments: { type: "cube" } })
      .catch((caught: unknown) => caught);
    expect(ToolClientError.is(error) && [error.code, error.maybeApplied]).toEqual(["unreachable", false]);
    expect((error as Error).message).toContain('scene server of project "p": the Knative Service got no address');
    expect(() => createMcpToolClient({})).toThrow("give either url or endpoint");
  });

  it("also speaks the 2025-11-25 protocol when asked to", async () => {
    const server = await startServer();
    const client = createMcpToolClient({ url: `${server.url}/mcp`, protocol: "legacy" });
    const outcome = await client.callTool({ projectId: "p", name: "add_object", arguments: { type: "torus" } });
    expect(outcome.structuredContent).toEqual({ object: { name: "Torus" } });
    await client.close();
  });

  it("forwards progress notifications and returns resource links", async () => {
    const server = await startServer();
    const client = createMcpToolClient({ url: `${server.url}/mcp` });
    const progress: unknown[] = [];
    const outcome = await client.callTool(
      { projectId: "p", name: "render_frame", arguments: {} },
      { onProgress: (update) => progress.push(update) },
    );
    expect(progress).toEqual([
      { progress: 1, total: 3, message: "sample 1" },
      { progress: 2, total: 3, message: "sample 2" },
      { progress: 3, total: 3, message: "sample 3" },
    ]);
    expect(outcome.content).toEqual([expect.objectContaining({ type: "resource_link", uri: "http://x/render.png" })]);
    await client.close();
  });

  it("returns a tool's isError result with its code", async () => {
    const server = await startServer();
    const client = createMcpToolClient({ url: `${server.url}/mcp` });
    const outcome = await client.callTool({ projectId: "p", name: "delete_object", arguments: { name: "Ghost" } });
    expect(outcome).toMatchObject({ isError: true, errorCode: "object_not_found", text: "object_not_found: No object named Ghost." });
    await client.close();
  });

  it("cancels a call on the server when the signal aborts", async () => {
    const server = await startServer();
    const client = createMcpToolClient({ url: `${server.url}/mcp` });
    const controller = new AbortController();
    const call = client.callTool({ projectId: "p", name: "slow", arguments: {} }, { signal: controller.signal });
    await expect.poll(() => server.started, { timeout: 3000 }).toEqual(["slow"]);
    controller.abort();
    const error = await call.catch((caught: unknown) => caught);
    expect(ToolClientError.is(error) && error.code).toBe("cancelled");
    await expect.poll(() => server.cancelled, { timeout: 3000 }).toEqual(["slow"]);
    await client.close();
  });

  it("times out a call that makes no progress", async () => {
    const server = await startServer();
    const client = createMcpToolClient({ url: `${server.url}/mcp` });
    const error = await client
      .callTool({ projectId: "p", name: "slow", arguments: {} }, { timeoutMs: 200 })
      .catch((caught: unknown) => caught);
    expect(ToolClientError.is(error) && [error.code, error.maybeApplied]).toEqual(["timeout", true]);
    await client.close();
  });

  it("sends a fresh idempotency key with every change, none with a read, and the caller's own when given", async () => {
    const server = await startServer();
    const client = createMcpToolClient({ url: `${server.url}/mcp` });
    await client.callTool({ projectId: "p", name: "add_object", arguments: { type: "cube" } });
    await client.callTool({ projectId: "p", name: "add_object", arguments: { type: "cube" } });
    await client.callTool({ projectId: "p", name: "get_scene", arguments: {} });
    await client.callTool({ projectId: "p", name: "add_object", arguments: { type: "cone" }, idempotencyKey: "mine-1" });
    const [first, second, read, mine] = server.toolCalls;
    expect(first?.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(second?.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(second?.key).not.toBe(first?.key);
    expect(read).toEqual({ name: "get_scene", key: undefined });
    expect(mine?.key).toBe("mine-1");
    await client.close();
  });

  it("sends a change again with the same key after its connection broke, and a read too", async () => {
    const server = await startServer({ dropToolCalls: 2 });
    const client = createMcpToolClient({ url: `${server.url}/mcp`, retryDelayMs: 10 });
    const outcome = await client.callTool({ projectId: "p", name: "add_object", arguments: { type: "cube" } });
    expect(outcome).toMatchObject({ isError: false, structuredContent: { object: { name: "Cube" } } });
    const keys = server.toolCalls.map((call) => call.key);
    expect(server.toolCalls.map((call) => call.dropped ?? false)).toEqual([true, true, false]);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);

    const reading = await startServer({ dropToolCalls: 1 });
    const reader = createMcpToolClient({ url: `${reading.url}/mcp`, retryDelayMs: 10 });
    expect((await reader.callTool({ projectId: "p", name: "get_scene", arguments: {} })).isError).toBe(false);
    expect(reading.toolCalls.map((call) => call.dropped ?? false)).toEqual([true, false]);
    await Promise.all([client.close(), reader.close()]);
  });

  for (const protocol of ["auto", "legacy"] as const)
    it(`fails a call at once when a proxy cuts its response stream mid-call, and sends it again with its key (protocol ${protocol})`, async () => {
      const server = await startServer();
      const proxy = await createFaultProxy({ host: "127.0.0.1", port: Number(new URL(server.url).port) });
      try {
        const url = `${proxy.rewrite(server.url)}/mcp`;
        // Without retries: the cut fails the call within a second or two, not after the call's 60 s.
        const once = createMcpToolClient({ url, protocol, retries: 0, callTimeoutMs: 60_000 });
        const startedAt = performance.now();
        const error = await once
          .callTool({ projectId: "p", name: "render_long", arguments: {} }, { onProgress: () => proxy.reset() })
          .catch((caught: unknown) => caught);
        expect(performance.now() - startedAt).toBeLessThan(5_000);
        expect(ToolClientError.is(error) && [error.code, error.maybeApplied]).toEqual(["protocol", true]);
        expect((error as Error).message).toMatch(/render_long failed: the response stream from .* was cut before the answer/);
        expect(once.openConnections()).toEqual([]);
        await once.close();

        // With them: sent again on a new connection with the same key, and answered.
        const retrying = createMcpToolClient({ url, protocol, retryDelayMs: 10, callTimeoutMs: 60_000 });
        let cuts = 0;
        const outcome = await retrying.callTool(
          { projectId: "p", name: "render_long", arguments: {}, idempotencyKey: "render-1" },
          {
            onProgress: () => {
              if (cuts++ === 0) proxy.reset();
            },
          },
        );
        expect(outcome.text).toBe("rendered");
        expect(server.toolCalls.map((call) => call.key)).toEqual([expect.any(String), "render-1", "render-1"]);
        await retrying.close();
      } finally {
        await proxy.close();
      }
    });

  it("gives up after its retries, saying the change may have been applied", async () => {
    const server = await startServer({ dropToolCalls: 3 });
    const client = createMcpToolClient({ url: `${server.url}/mcp`, retryDelayMs: 10, retries: 2 });
    const error = await client
      .callTool({ projectId: "p", name: "add_object", arguments: { type: "cube" } })
      .catch((caught: unknown) => caught);
    expect(ToolClientError.is(error) && [error.code, error.maybeApplied]).toEqual(["protocol", true]);
    expect(server.toolCalls).toHaveLength(3);
    expect(new Set(server.toolCalls.map((call) => call.key)).size).toBe(1);
    await client.close();
  });

  it("says a server cannot be reached, and tries again on the next call", async () => {
    const server = await startServer();
    const url = `${server.url}/mcp`;
    await server.close();
    servers.length = 0;
    const client = createMcpToolClient({ url, connectTimeoutMs: 2000 });
    const error = await client
      .callTool({ projectId: "p", name: "add_object", arguments: { type: "cube" } })
      .catch((caught: unknown) => caught);
    expect(ToolClientError.is(error) && [error.code, error.maybeApplied]).toEqual(["unreachable", false]);
    expect((error as Error).message).toContain(url);
    expect(client.openConnections()).toEqual([]);
  });
});
