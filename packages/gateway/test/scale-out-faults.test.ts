// `bod serve` on PostgreSQL reached through a fault proxy: while the database stops answering, a
// user's request gets a 503 problem that says so, and an MCP client's change gets a tool error
// that says so, each within the documented deadline (5 s) rather than hanging; nothing of either
// is kept; and both work again, with the scene as of the last acknowledged change, once the
// database answers again.

import { createFaultProxy, createTestBucket, createTestDatabase, type FaultProxy, type TestBucket, type TestDatabase } from "@bod/testing";
import { type CallToolResult, Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiClient } from "./support/api-client.ts";
import { type ServeProcess, startServeProcess } from "./support/serve-process.ts";

/** The stores' documented deadline (docs/storage.md), plus what the machine needs to notice it. */
const DEADLINE_MS = 5_000;
const SLACK_MS = 2_500;

let database: TestDatabase;
let bucket: TestBucket;
let proxy: FaultProxy;
let serve: ServeProcess;
let projectId: string;
let mcp: Client;

beforeAll(async () => {
  [database, bucket] = await Promise.all([createTestDatabase(), createTestBucket()]);
  const url = new URL(database.url);
  proxy = await createFaultProxy({ host: url.hostname, port: Number(url.port) });
  serve = await startServeProcess({ extraArgs: ["--state-url", proxy.rewrite(database.url), "--artifact-url", bucket.url] });
  const user = createApiClient(serve.url, serve.signInToken);
  projectId = (await user.json<{ id: string }>("/api/projects", { method: "POST", body: JSON.stringify({ name: "Faults" }) })).id;
  mcp = new Client({ name: "faults-e2e", version: "1.0.0" });
  await mcp.connect(
    new StreamableHTTPClientTransport(new URL(`${serve.url}/projects/${projectId}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${serve.runtimeToken}` } },
    }),
  );
});

afterAll(async () => {
  proxy?.resume();
  await mcp?.close().catch(() => undefined);
  await serve?.stop();
  await proxy?.close();
  await Promise.all([database?.drop(), bucket?.drop()]);
});

async function names(): Promise<string[]> {
  const result = (await mcp.callTool({ name: "get_scene", arguments: {} })) as CallToolResult;
  return (result.structuredContent as { objects: Array<{ name: string }> }).objects.map((object) => object.name).sort();
}

describe("PostgreSQL stops answering under bod serve", () => {
  it("gives the user and the MCP client a clear error within the deadline, keeps nothing half-done, and recovers", async () => {
    const user = createApiClient(serve.url, serve.signInToken);
    expect((await mcp.callTool({ name: "add_object", arguments: { type: "cube", name: "Kept" } })).isError).toBeFalsy();
    const before = (await user.json<{ messages: unknown[] }>(`/api/projects/${projectId}/messages`)).messages.length;

    proxy.pause();
    let startedAt = performance.now();
    const refused = await user.fetch(`/api/projects/${projectId}/messages`, {
      method: "POST",
      headers: { accept: "application/json" },
      body: JSON.stringify({ text: "Add a blue sphere" }),
    });
    expect(performance.now() - startedAt).toBeLessThan(DEADLINE_MS + SLACK_MS);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/database/i);

    startedAt = performance.now();
    const failed = (await mcp.callTool({ name: "add_object", arguments: { type: "cone", name: "Lost" } })) as CallToolResult;
    expect(performance.now() - startedAt).toBeLessThan(DEADLINE_MS + SLACK_MS);
    expect(failed.isError).toBe(true);
    expect(failed._meta?.["bod/errorCode"]).toBe("storage_unavailable");
    expect(JSON.stringify(failed.content)).toMatch(/could not be saved/);

    proxy.resume();
    // The change that was refused is not in the scene; the one acknowledged before is.
    expect(await names()).toEqual(["Kept"]);
    expect((await mcp.callTool({ name: "add_object", arguments: { type: "torus", name: "After" } })).isError).toBeFalsy();
    expect(await names()).toEqual(["After", "Kept"]);
    // The refused message left no trace in the conversation; a new one goes through.
    expect((await user.json<{ messages: unknown[] }>(`/api/projects/${projectId}/messages`)).messages.length).toBe(before);
    const turn = await user.fetch(`/api/projects/${projectId}/messages`, {
      method: "POST",
      headers: { accept: "application/json" },
      body: JSON.stringify({ text: "Add a blue sphere" }),
    });
    expect(turn.status).toBe(200);
  });
});
