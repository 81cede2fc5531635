// The worker's HTTP front over real sockets (chunked bodies, kept-alive and half-sent connections
// are about sockets): MCP through the SDK's handler, artifacts, and every error the worker answers
// itself as problem+json (the mapping itself is unit-tested in problem.test.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ArtifactStore, ArtifactStoreUnavailableError, createFilesystemArtifactStore } from "@bod/storage";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SceneEngine } from "../blender/index.ts";
import { createSceneServerPool } from "../mcp/create-scene-server.ts";
import { createWorkerHttp, MAX_MCP_BODY_BYTES, type WorkerHttp, type WorkerHttpOptions } from "./worker-http.ts";

const META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "http-test", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": {},
};
const HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  "mcp-protocol-version": "2026-07-28",
  "mcp-method": "tools/call",
  "mcp-name": "clear_scene",
};
const CALL = JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "clear_scene", arguments: {}, _meta: META } });

let http: WorkerHttp;
let port: number;

function createTestHttp(artifacts?: { store: ArtifactStore; projectId: string }, overrides: Partial<WorkerHttpOptions> = {}): WorkerHttp {
  const result = { removed: ["Cube"] };
  const engine = { call: async () => result, begin: async () => ({ result, saved: Promise.resolve() }) } as unknown as SceneEngine;
  return createWorkerHttp({
    createServer: createSceneServerPool({
      engine,
      store: {} as ArtifactStore,
      projectId: "p-1",
      artifactUrl: (id) => `http://127.0.0.1/artifacts/${id}`,
      scratchDirectory: "/nonexistent",
    }),
    artifacts: () => artifacts,
    health: () => ({ ready: true, state: "ready", bound: true, blenderPid: undefined }),
    admitting: () => true,
    allowedHostnames: ["127.0.0.1", "localhost"],
    logger: pino({ level: "silent" }),
    onRequestStart: () => {},
    onRequestEnd: () => {},
    ...overrides,
  });
}

/** Sends a request with the headers as given (Host included), on a connection of its own, and reads the whole answer. */
function send(options: { port: number; path: string; method?: string; headers?: Record<string, string> }) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: options.port,
        path: options.path,
        method: options.method ?? "GET",
        headers: options.headers,
        agent: false,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** The answer's problem body, after checking it is one. */
function problemOf(answer: { status: number; headers: Record<string, unknown>; text: string }, status: number, code: string) {
  expect(answer.status, code).toBe(status);
  expect(answer.headers["content-type"], code).toBe("application/problem+json");
  const body = JSON.parse(answer.text) as Record<string, unknown>;
  expect(body, code).toMatchObject({ type: `about:blank#${code}`, status, code });
  return body;
}

beforeAll(async () => {
  http = createTestHttp();
  port = await http.listen({ port: 0, host: "127.0.0.1" });
});

afterAll(async () => {
  await http?.close();
});

/** POSTs to /mcp; `chunks` are sent without a Content-Length (chunked), `body` with one. */
function post(options: { body?: string; chunks?: string[]; headers?: Record<string, string>; port?: number; agent?: Agent }) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const headers: Record<string, string> = { ...HEADERS, ...options.headers };
    if (options.body !== undefined && !headers["content-length"]) headers["content-length"] = String(Buffer.byteLength(options.body));
    const target = { host: "127.0.0.1", port: options.port ?? port, path: "/mcp", method: "POST", headers, agent: options.agent };
    const req = request(target, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    for (const chunk of options.chunks ?? []) req.write(chunk);
    req.end(options.body);
  });
}

describe("/mcp", () => {
  it("serves a tool call, whether the body comes with a length or chunked", async () => {
    for (const answer of [await post({ body: CALL }), await post({ chunks: [CALL.slice(0, 50), CALL.slice(50)] })]) {
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text)).toMatchObject({ id: 7, result: { structuredContent: { removed: ["Cube"] } } });
    }
  });

  it("answers a body that is not JSON with the SDK's parse error", async () => {
    const answer = await post({ body: "{not json" });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toMatchObject({ error: { code: -32700 } });
  });

  it("refuses a body over the limit before reading it", async () => {
    const answer = await post({ body: CALL, headers: { "content-length": String(MAX_MCP_BODY_BYTES + 1) } });
    expect(answer.status).toBe(413);
  });
});

describe("errors the worker answers itself", () => {
  it("refuses a rebinding Host or a foreign Origin with a 403 problem before any MCP handling", async () => {
    const host = problemOf(await send({ port, path: "/mcp", method: "POST", headers: { host: "evil.example" } }), 403, "forbidden_host");
    expect(host).toMatchObject({ header: "host", allowedHostnames: ["127.0.0.1", "localhost"] });
    const origin = await send({ port, path: "/mcp", method: "POST", headers: { host: "127.0.0.1", origin: "https://evil.example" } });
    expect(problemOf(origin, 403, "forbidden_host")).toMatchObject({ header: "origin" });
    // /healthz is for probes and answers whatever the Host.
    expect((await send({ port, path: "/healthz", headers: { host: "evil.example" } })).status).toBe(200);
  });

  it("answers unknown routes, a wrong method and an unknown legacy session with problems", async () => {
    expect(problemOf(await send({ port, path: "/nothing" }), 404, "not_found").detail).toContain("/mcp");
    const wrongMethod = await send({ port, path: "/sse", method: "PUT" });
    expect(wrongMethod.headers.allow).toBe("GET, POST");
    problemOf(wrongMethod, 405, "method_not_allowed");
    problemOf(await send({ port, path: "/messages?sessionId=gone", method: "POST" }), 404, "session_not_found");
  });

  it("answers 503 with Retry-After while draining or not bound, on /mcp and the legacy stream alike", async () => {
    const draining = createTestHttp(undefined, { admitting: () => false });
    const unbound = createTestHttp(undefined, { health: () => ({ ready: true, state: "ready", bound: false, blenderPid: undefined }) });
    const [drainingPort, unboundPort] = [
      await draining.listen({ port: 0, host: "127.0.0.1" }),
      await unbound.listen({ port: 0, host: "127.0.0.1" }),
    ];
    try {
      for (const [at, code] of [
        [drainingPort, "draining"],
        [unboundPort, "not_bound"],
      ] as const) {
        for (const [path, method] of [
          ["/mcp", "POST"],
          ["/sse", "GET"],
        ] as const) {
          const answer = await send({ port: at, path, method, headers: HEADERS });
          expect(answer.headers["retry-after"], `${code} ${path}`).toBe("1");
          expect(problemOf(answer, 503, code)).toMatchObject({ retryAfter: 1 });
        }
      }
    } finally {
      await draining.close();
      await unbound.close();
    }
  });
});

describe("close", () => {
  it("ends kept-alive and half-sent connections at once instead of waiting for their timeouts", async () => {
    const own = createTestHttp();
    const ownPort = await own.listen({ port: 0, host: "127.0.0.1" });
    const agent = new Agent({ keepAlive: true });
    expect((await post({ body: CALL, port: ownPort, agent })).status).toBe(200);
    const halfSent = connect(ownPort, "127.0.0.1");
    await new Promise((resolve) => halfSent.once("connect", resolve));
    halfSent.write("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    halfSent.on("error", () => {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    const startedAt = performance.now();
    await own.close();
    expect(performance.now() - startedAt).toBeLessThan(1000);
    agent.destroy();
    halfSent.destroy();
  });
});

describe("/artifacts/{id}", () => {
  it("streams the bound project's artifact, whole or a range, and nothing before the worker is bound", async () => {
    const folder = mkdtempSync(join(tmpdir(), "bod-worker-artifacts-"));
    const store = createFilesystemArtifactStore({ directoryOf: () => folder });
    const bytes = Buffer.from("0123456789");
    const artifact = await store.put({ projectId: "p-1", kind: "render", extension: "png", mimeType: "image/png", body: bytes });
    const own = createTestHttp({ store, projectId: "p-1" });
    const unbound = createTestHttp();
    const [ownPort, unboundPort] = [await own.listen({ port: 0, host: "127.0.0.1" }), await unbound.listen({ port: 0, host: "127.0.0.1" })];
    try {
      const url = `http://127.0.0.1:${ownPort}/artifacts/${artifact.id}`;
      const whole = await fetch(url);
      expect(whole.status).toBe(200);
      expect(whole.headers.get("content-type")).toBe("image/png");
      expect(whole.headers.get("access-control-allow-origin")).toBe("*");
      expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
      const range = await fetch(url, { headers: { range: "bytes=2-4" } });
      expect(range.status).toBe(206);
      expect(range.headers.get("content-range")).toBe("bytes 2-4/10");
      expect(await range.text()).toBe("234");
      expect((await fetch(url, { headers: { range: "bytes=10-" } })).status).toBe(416);
      const missing = await send({ port: ownPort, path: `/artifacts/${"0".repeat(32)}.png` });
      problemOf(missing, 404, "artifact_not_found");
      problemOf(await send({ port: unboundPort, path: `/artifacts/${artifact.id}` }), 404, "artifact_not_found");
    } finally {
      await own.close();
      await unbound.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });
  it("answers 503 storage_unavailable with Retry-After when the artifact store is down", async () => {
    const folder = mkdtempSync(join(tmpdir(), "bod-worker-artifacts-"));
    const store = createFilesystemArtifactStore({ directoryOf: () => folder });
    const artifact = await store.put({ projectId: "p-1", kind: "render", extension: "png", mimeType: "image/png", body: Buffer.from("x") });
    const down = new ArtifactStoreUnavailableError("The artifact store is not answering; try again in 4 s.", {
      operation: "get",
      reason: "timeout",
      store: "s3://internal-bucket",
      retryAfterSeconds: 4,
    });
    const failing = createTestHttp({
      store: {
        ...store,
        async get() {
          throw down;
        },
        async head() {
          throw down;
        },
      },
      projectId: "p-1",
    });
    const failingPort = await failing.listen({ port: 0, host: "127.0.0.1" });
    try {
      const answer = await send({ port: failingPort, path: `/artifacts/${artifact.id}` });
      expect(answer.headers["retry-after"]).toBe("4");
      expect(problemOf(answer, 503, "storage_unavailable")).toMatchObject({ detail: down.message, retryAfter: 4 });
      expect(answer.text).not.toContain("internal-bucket");
    } finally {
      await failing.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
