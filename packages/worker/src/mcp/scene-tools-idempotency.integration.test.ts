// Idempotency keys over MCP: a tools/call's `_meta["bod/idempotencyKey"]` reaches the engine (the
// real one, over the stand-in Blender of testing/fake-blender.ts), the same key answers with the
// first result marked `bod/repeated` and runs nothing, another request with it is refused, and a
// key that breaks the rule is refused with the rule.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFilesystemArtifactStore } from "@bod/storage";
import { createMcpHandler } from "@modelcontextprotocol/server";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createSceneEngine, type SceneEngine } from "../blender/scene-engine.ts";
import { fakeBlenderSpawn } from "../blender/testing/test-support.ts";
import { createSceneServer } from "./create-scene-server.ts";
import { requestDigest } from "./request-digest.ts";

const META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "keys-test", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": {},
};
const STL = Buffer.from(
  "solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid x\n",
);

type Result = {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: Array<{ type: string; text?: string }>;
  _meta?: Record<string, unknown>;
};

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp() {
  const root = mkdtempSync(join(tmpdir(), "bod-keys-"));
  const engine: SceneEngine = createSceneEngine({
    logger: pino({ level: "silent" }),
    dataDir: join(root, "project"),
    spawn: fakeBlenderSpawn(),
  });
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  cleanups.push(() => engine.stop());
  await engine.start();
  const store = createFilesystemArtifactStore({ directoryOf: (projectId) => join(root, "artifacts", projectId) });
  const handler = createMcpHandler(() =>
    createSceneServer({
      engine,
      store,
      projectId: "p-1",
      artifactUrl: (id) => `http://worker.test/artifacts/${id}`,
      scratchDirectory: join(root, "tmp"),
    }),
  );
  let id = 0;
  const call = async (name: string, args: Record<string, unknown>, key?: unknown): Promise<Result> => {
    const response = await handler.fetch(
      new Request("http://localhost/mcp", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2026-07-28",
          "mcp-method": "tools/call",
          "mcp-name": name,
        },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: ++id,
          method: "tools/call",
          params: { name, arguments: args, _meta: { ...META, ...(key === undefined ? {} : { "bod/idempotencyKey": key }) } },
        }),
      }),
    );
    return (await response.json()).result as Result;
  };
  /** The commands this Blender has run, less the ping that asks. */
  const received = async () => ((await engine.call("ping", {})) as { received: string[] }).received.slice(0, -1);
  return { call, received, store };
}

describe("idempotency keys on tools/call", { timeout: 30_000 }, () => {
  it("applies a keyed change once and answers a repeat with the first result, marked as repeated", async () => {
    const { call, received } = await setUp();
    const first = await call("delete_object", { name: "Box" }, "key-1");
    expect(first.isError, JSON.stringify(first.content)).toBeFalsy();
    expect(first.structuredContent).toEqual({ deleted: "Box" });
    expect(first._meta?.["bod/repeated"]).toBeUndefined();
    const again = await call("delete_object", { name: "Box" }, "key-1");
    expect(again.isError).toBeFalsy();
    expect(again.structuredContent).toEqual(first.structuredContent);
    expect(again.content).toEqual(first.content);
    expect(again._meta?.["bod/repeated"]).toBe(true);
    expect(again._meta?.["bod/blenderMs"]).toBeUndefined();
    // The same change with another key runs.
    await call("delete_object", { name: "Box" }, "key-2");
    expect(await received()).toEqual(["delete_object", "delete_object"]);
  });

  it("refuses a key used for another call, and runs nothing", async () => {
    const { call, received } = await setUp();
    await call("add_object", { type: "cube", name: "Box" }, "key-1");
    for (const [name, args] of [
      ["add_object", { type: "cube", name: "Other" }],
      ["add_light", { type: "sun" }],
    ] as const) {
      const refused = await call(name, args, "key-1");
      expect(refused.isError).toBe(true);
      expect(refused._meta?.["bod/errorCode"]).toBe("invalid_arguments");
      expect(refused.content[0]?.text).toMatch(/"key-1" was already used for another call/);
    }
    expect(await received()).toEqual(["add_object"]);
  });

  it("refuses a key that is not 1 to 128 visible ASCII characters, saying what is allowed", async () => {
    const { call, received } = await setUp();
    for (const key of ["", "has space", "x".repeat(129), "naïve", 42, null, { id: 1 }]) {
      const refused = await call("add_object", { type: "cube" }, key);
      expect(refused.isError, JSON.stringify(key)).toBe(true);
      expect(refused._meta?.["bod/errorCode"]).toBe("invalid_arguments");
      expect(refused.content[0]?.text).toMatch(/bod\/idempotencyKey.*1 to 128 visible ASCII characters/);
    }
    // Reads validate keys too, and otherwise ignore them.
    expect((await call("export_scene", { format: "stl" }, "bad key")).isError).toBe(true);
    expect(await received()).toEqual([]);
  });

  it("answers a repeated keyed upload without storing it again", async () => {
    const { call, received, store } = await setUp();
    const data = STL.toString("base64");
    const first = await call("import_model", { format: "stl", data }, "upload-1");
    expect(first.isError, JSON.stringify(first.content)).toBeFalsy();
    const again = await call("import_model", { format: "stl", data }, "upload-1");
    expect(again.structuredContent).toEqual(first.structuredContent);
    expect(again._meta?.["bod/repeated"]).toBe(true);
    expect((await store.list("p-1")).map((artifact) => artifact.kind)).toEqual(["upload"]);
    expect(await received()).toEqual(["import_model"]);
  });
});

describe("request digests", () => {
  it("do not depend on key order, and tell tools and inputs apart", () => {
    expect(requestDigest("add_object", { type: "cube", location: [1, 2, 3] })).toBe(
      requestDigest("add_object", { location: [1, 2, 3], type: "cube" }),
    );
    expect(requestDigest("add_object", { type: "cube" })).not.toBe(requestDigest("add_object", { type: "cone" }));
    expect(requestDigest("add_object", { type: "cube" })).not.toBe(requestDigest("add_light", { type: "cube" }));
    expect(requestDigest("add_object", { location: [1, 2, 3] })).not.toBe(requestDigest("add_object", { location: [3, 2, 1] }));
  });
});
