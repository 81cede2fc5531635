import { ToolError } from "@bod/contracts";
import type { ArtifactStore } from "@bod/storage";
import { createMcpHandler, type McpRequestContext, type McpServer } from "@modelcontextprotocol/server";
import { describe, expect, it } from "vitest";
import type { SceneEngine } from "../blender/index.ts";
import { createSceneServer, createSceneServerPool } from "./create-scene-server.ts";

const META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "pool-test", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": {},
};

/**
 * An engine whose clear_scene calls wait until the test lets Blender answer them; `saving` gives
 * the promise for each change's journal entry.
 */
function fakeEngine(saving: () => Promise<void> = () => Promise.resolve()) {
  const waiting: (() => void)[] = [];
  const begin = (command: string) =>
    new Promise<{ result: unknown; saved: Promise<void> }>((resolve) => {
      if (command === "clear_scene") waiting.push(() => resolve({ result: { removed: [] }, saved: saving() }));
      else resolve({ result: {}, saved: Promise.resolve() });
    });
  const call = async (command: string) => {
    const { result, saved } = await begin(command);
    await saved;
    return result;
  };
  return { engine: { begin, call } as unknown as SceneEngine, waiting };
}

function request(id: number, signal?: AbortSignal) {
  return new Request("http://localhost/mcp", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": "tools/call",
      "mcp-name": "clear_scene",
    },
    body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "clear_scene", arguments: {}, _meta: META } }),
    ...(signal ? { signal } : {}),
  });
}

function setUp(saving?: () => Promise<void>) {
  const { engine, waiting } = fakeEngine(saving);
  const deps = {
    engine,
    store: {} as ArtifactStore,
    projectId: "p-1",
    artifactUrl: (id: string) => `http://127.0.0.1/artifacts/${id}`,
    scratchDirectory: "/nonexistent",
  };
  const pool = createSceneServerPool(deps);
  const handedOut: { era: string; server: McpServer }[] = [];
  const handler = createMcpHandler((context: McpRequestContext) => {
    const server = pool(context);
    handedOut.push({ era: context.era, server });
    return server;
  });
  let id = 0;
  const callTool = (signal?: AbortSignal) => handler.fetch(request(++id, signal));
  /** Lets the oldest waiting call finish, once it has reached the engine. */
  const finishOldest = async () => {
    while (waiting.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    waiting.shift()?.();
  };
  return { deps, handler, handedOut, callTool, finishOldest, waiting };
}

describe("createSceneServerPool", () => {
  it("hands a 2026-07-28 request the server of the last one once that exchange is over", async () => {
    const { handedOut, callTool, finishOldest } = setUp();
    for (let index = 0; index < 3; index++) {
      const response = callTool();
      await finishOldest();
      expect((await (await response).json()).result.structuredContent).toEqual({ removed: [] });
    }
    expect(handedOut).toHaveLength(3);
    expect(new Set(handedOut.map(({ server }) => server)).size).toBe(1);
  });

  it("never gives one server to two requests at once", async () => {
    const { handedOut, callTool, finishOldest } = setUp();
    const first = callTool();
    const second = callTool();
    await finishOldest();
    await finishOldest();
    await Promise.all([first, second]);
    expect(handedOut[0]?.server).not.toBe(handedOut[1]?.server);
  });

  it("keeps a server out of the pool while a call whose client went away still runs", async () => {
    const { handedOut, callTool, finishOldest, waiting } = setUp();
    const abandoned = new AbortController();
    const first = callTool(abandoned.signal);
    while (waiting.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    abandoned.abort();
    await first.catch(() => undefined);
    // The abandoned call is still waiting for the engine: the next request gets another server.
    const second = callTool();
    while (waiting.length < 2) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(handedOut[1]?.server).not.toBe(handedOut[0]?.server);
    waiting.splice(1, 1)[0]?.();
    await second;
    // Once the abandoned call has finished, its server serves again.
    await finishOldest();
    await new Promise((resolve) => setTimeout(resolve, 1));
    const third = callTool();
    const fourth = callTool();
    await finishOldest();
    await finishOldest();
    await Promise.all([third, fourth]);
    expect(new Set([handedOut[2]?.server, handedOut[3]?.server])).toEqual(new Set([handedOut[0]?.server, handedOut[1]?.server]));
  });

  it("builds a fresh server for each 2025-era request", async () => {
    const { handler, handedOut } = setUp();
    for (let index = 0; index < 2; index++) {
      const response = await handler.fetch(
        new Request("http://localhost/mcp", {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
          body: JSON.stringify({
            jsonrpc: "2.0",
            id: 1,
            method: "initialize",
            params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "old", version: "1" } },
          }),
        }),
      );
      expect(response.status).toBe(200);
      await response.text();
    }
    expect(handedOut.map(({ era }) => era)).toEqual(["legacy", "legacy"]);
    expect(handedOut[0]?.server).not.toBe(handedOut[1]?.server);
  });

  it("acknowledges a change only once it is saved", async () => {
    let save = () => {};
    const { callTool, finishOldest } = setUp(() => new Promise<void>((resolve) => (save = resolve)));
    let answered = false;
    const response = callTool().then((answer) => {
      answered = true;
      return answer;
    });
    await finishOldest();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(answered).toBe(false);
    save();
    expect((await (await response).json()).result.structuredContent).toEqual({ removed: [] });
  });

  it("answers a change that could not be saved with the tool's failure, as a server that waits for the save does", async () => {
    const failure = () => Promise.reject(new ToolError("internal", "The change could not be saved (disk full); it was undone. Try again."));
    const pooled = setUp(failure);
    const answer = pooled.callTool();
    await pooled.finishOldest();
    const held = (await (await answer).json()).result;
    expect(held).toMatchObject({ isError: true, _meta: { "bod/errorCode": "internal" } });
    expect(held.structuredContent).toBeUndefined();

    const waiting = fakeEngine(failure);
    const fresh = createMcpHandler(() => createSceneServer({ ...pooled.deps, engine: waiting.engine })).fetch(request(1));
    while (waiting.waiting.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    waiting.waiting.shift()?.();
    expect(held).toEqual((await (await fresh).json()).result);
  });
});
