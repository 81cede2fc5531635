// The HTTP front over real sockets (the proxy is about sockets), with a stand-in Runtime and worker;
// every error it answers itself is problem+json (the mapping itself is unit-tested in problem.test.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ArtifactStore, ArtifactStoreUnavailableError } from "@bod/storage";
import { afterEach, describe, expect, it } from "vitest";
import { CapacityError } from "../errors/capacity-error.ts";
import { createRuntimeMetrics } from "../metrics.ts";
import { createProjectArtifactStore } from "../project-artifact-store.ts";
import type { RouteLease, Runtime } from "../runtime.ts";
import { createBearerTokenAuthenticator } from "./auth.ts";
import { MAX_PROXY_BODY_BYTES } from "./proxy.ts";
import { createRuntimeServer } from "./runtime-server.ts";

const TOKEN = "unit-token-0123456789";
const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

/** A lease on the worker listening on `port`, as the Runtime hands it out; `overrides` set the rest. */
function leaseOn(port: number, overrides: Partial<RouteLease> = {}): RouteLease {
  return {
    projectId: "p",
    endpoint: { host: "127.0.0.1", port },
    coldStart: false,
    release: () => {},
    reportUnavailable: () => {},
    ...overrides,
  };
}

async function setup(route: Runtime["route"], artifacts: ArtifactStore = createProjectArtifactStore(() => "/nonexistent")) {
  const runtime: Runtime = { route, start: async () => ({ host: "x", port: 1 }), drain: async () => {}, list: async () => [] };
  const port = await listen(
    createRuntimeServer({
      runtime,
      authenticator: createBearerTokenAuthenticator(TOKEN),
      metrics: createRuntimeMetrics(),
      artifacts,
    }),
  );
  const call = (path: string, init: RequestInit = {}, token = TOKEN) =>
    fetch(`http://127.0.0.1:${port}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
  return { call, port };
}

/** Resolves once `condition` holds; fails the test after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error("timed out waiting for the condition");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The answer's problem body, after checking it is one: the content type and the members every problem has. */
async function problemOf(response: Response, status: number, code: string): Promise<Record<string, unknown>> {
  expect(response.status, code).toBe(status);
  expect(response.headers.get("content-type"), code).toBe("application/problem+json");
  const body = (await response.json()) as Record<string, unknown>;
  expect(body, code).toMatchObject({ type: `about:blank#${code}`, title: code.replaceAll("_", " "), status, code });
  expect(typeof body.detail, code).toBe("string");
  return body;
}

describe("runtime HTTP front", () => {
  it("answers /healthz without a token and refuses everything else without the right one", async () => {
    let routed = 0;
    const { call } = await setup(async () => {
      routed++;
      throw new Error("unreachable");
    });
    expect((await call("/healthz", {}, "")).status).toBe(200);
    const refused = await call("/projects/a/mcp", { method: "POST", body: "{}" }, "nope-nope-nope-nope");
    expect(refused.headers.get("www-authenticate")).toBe('Bearer realm="bod"');
    expect((await problemOf(refused, 401, "unauthorized")).detail).toContain("Authorization: Bearer");
    await problemOf(await call("/api/instances", {}, ""), 401, "unauthorized");
    await problemOf(await call("/metrics", {}, ""), 401, "unauthorized");
    expect(routed).toBe(0);
  });

  it("answers a bad project id, an unknown route or instance, and a body over the limit with problems", async () => {
    const { call, port } = await setup(async () => {
      throw new Error("nothing is routed");
    });
    expect(await problemOf(await call("/projects/NOPE/mcp", { method: "POST", body: "{}" }), 400, "invalid_project_id")).toMatchObject({
      projectId: "NOPE",
    });
    await problemOf(await call("/api/instances/Bad_Id"), 400, "invalid_project_id");
    expect((await problemOf(await call("/nothing"), 404, "not_found")).detail).toContain("/projects/{projectId}/mcp");
    await problemOf(await call("/api/instances/nobody"), 404, "not_found");
    // A declared length over the limit is refused before the body is read.
    const tooLarge = await new Promise<{ status: number; type: string | undefined; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port,
          path: "/projects/p/mcp",
          method: "POST",
          headers: { authorization: `Bearer ${TOKEN}`, "content-length": String(MAX_PROXY_BODY_BYTES + 1) },
        },
        (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            body += chunk;
          });
          res.on("end", () => {
            resolve({ status: res.statusCode ?? 0, type: res.headers["content-type"], body });
            req.destroy();
          });
        },
      );
      req.on("error", reject);
      req.flushHeaders();
    });
    expect(tooLarge).toMatchObject({ status: 413, type: "application/problem+json" });
    expect(JSON.parse(tooLarge.body)).toMatchObject({ code: "payload_too_large", limitBytes: MAX_PROXY_BODY_BYTES });
  });

  it("answers 502 worker_unreachable when no worker can be reached, after routing again", async () => {
    const dead = await listen(createServer());
    servers.at(-1)!.close();
    const reports: string[] = [];
    const { call } = await setup(async () => leaseOn(dead, { reportUnavailable: (how) => reports.push(how) }));
    const body = await problemOf(await call("/projects/p/mcp", { method: "POST", body: "{}" }), 502, "worker_unreachable");
    expect(body).toMatchObject({ projectId: "p", reason: "ECONNREFUSED" });
    expect(reports.length).toBeGreaterThan(0);
  });

  it("streams the worker's response through without waiting for its end, and drops the runtime's credentials", async () => {
    let seenHeaders: Record<string, unknown> = {};
    let finish: () => void = () => {};
    const workerPort = await listen(
      createServer((req, res) => {
        seenHeaders = req.headers;
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write("event: message\ndata: first\n\n");
        finish = () => res.end("event: message\ndata: last\n\n");
      }),
    );
    let released = 0;
    const lease: RouteLease = leaseOn(workerPort, { release: () => released++ });
    const { call } = await setup(async () => lease);
    const response = await call("/projects/p/mcp", {
      method: "POST",
      body: '{"jsonrpc":"2.0"}',
      headers: { origin: "http://evil.example" },
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain("data: first");
    expect(released).toBe(0); // still in flight while the stream is open
    finish();
    let rest = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toContain("data: last");
    expect(seenHeaders.authorization).toBeUndefined();
    expect(seenHeaders.origin).toBeUndefined();
    expect(seenHeaders.host).toBe(`127.0.0.1:${workerPort}`);
    await until(() => released === 1);
  });

  it("maps runtime errors to problem responses in one place", async () => {
    const { call } = await setup(async () => {
      throw new CapacityError("All 1 worker slots are busy. Retry in 4 s.", { maxInstances: 1, queued: 1, retryAfterSeconds: 4 });
    });
    const refused = await call("/projects/p/mcp", { method: "POST", body: "{}" });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("4");
    expect(await problemOf(refused, 503, "capacity_exhausted")).toMatchObject({ retryAfter: 4, maxInstances: 1, queued: 1 });
  });

  it("routes again when the worker vanished before the request reached it", async () => {
    const workerPort = await listen(createServer((_req, res) => res.end("ok")));
    const deadPort = await listen(createServer());
    servers.at(-1)!.close();
    const reports: string[] = [];
    let attempt = 0;
    const { call } = await setup(async () =>
      leaseOn(attempt++ === 0 ? deadPort : workerPort, { reportUnavailable: (how) => reports.push(how) }),
    );
    const response = await call("/projects/p/mcp", { method: "POST", body: "{}" });
    expect(await response.text()).toBe("ok");
    expect(reports).toEqual(["unreachable"]);
  });

  it("routes again when the worker answers 503 with Retry-After, and passes a plain 503 on", async () => {
    const draining = await listen(
      createServer((req, res) => {
        req.resume();
        res.writeHead(503, { "retry-after": "1", "content-type": "application/json" });
        res.end('{"error":"draining"}');
      }),
    );
    const healthy = await listen(createServer((_req, res) => res.end("served by the next worker")));
    const reports: string[] = [];
    let released = 0;
    let attempt = 0;
    const { call } = await setup(async () =>
      leaseOn(attempt++ === 0 ? draining : healthy, { release: () => released++, reportUnavailable: (how) => reports.push(how) }),
    );
    const response = await call("/projects/p/mcp", { method: "POST", body: "{}" });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("served by the next worker");
    expect(reports).toEqual(["not-admitting"]);
    await until(() => released === 2);

    const busy = await listen(createServer((_req, res) => res.writeHead(503).end("busy")));
    const { call: callBusy } = await setup(async () => leaseOn(busy, { reportUnavailable: (how) => reports.push(how) }));
    const passed = await callBusy("/projects/p/mcp", { method: "POST", body: "{}" });
    expect(passed.status).toBe(503);
    expect(await passed.text()).toBe("busy");
  });

  it("closes the worker's response and releases the lease when the client goes away mid-stream", async () => {
    let workerSawClose = false;
    const workerPort = await listen(
      createServer((_req, res) => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write("event: message\ndata: progress\n\n");
        res.on("close", () => {
          workerSawClose = true;
        });
      }),
    );
    let released = 0;
    const { call } = await setup(async () => leaseOn(workerPort, { release: () => released++ }));
    const client = new AbortController();
    const response = await call("/projects/p/mcp", { method: "POST", body: "{}", signal: client.signal });
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain("progress");
    client.abort();
    // The close travels over two sockets: wait for it (a busy machine may take more than a few ms).
    await until(() => released === 1 && workerSawClose);
    expect(released).toBe(1);
  });

  it("passes large bodies both ways intact", async () => {
    const workerPort = await listen(
      createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
          // Echo back in uneven pieces, with pauses, so reads and chunks never line up.
          const body = Buffer.concat(chunks);
          res.writeHead(200, { "content-type": "application/octet-stream" });
          let at = 0;
          const next = () => {
            if (at >= body.length) return void res.end();
            const size = 1 + ((at * 7919) % 200_000);
            res.write(body.subarray(at, at + size));
            at += size;
            setImmediate(next);
          };
          next();
        });
      }),
    );
    const { call } = await setup(async () => leaseOn(workerPort));
    const sent = Buffer.alloc(6 * 1024 * 1024);
    for (let i = 0; i < sent.length; i++) sent[i] = (i * 31 + (i >> 11)) & 0xff;
    const response = await call("/projects/p/mcp", { method: "POST", body: sent });
    const received = Buffer.from(await response.arrayBuffer());
    expect(received.length).toBe(sent.length);
    expect(received.equals(sent)).toBe(true);
  });

  it("sends a response that arrives whole in one piece, framed by its length", async () => {
    const workerPort = await listen(
      createServer((_req, res) => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.end("event: message\ndata: {}\n\n");
      }),
    );
    const { call } = await setup(async () => leaseOn(workerPort));
    const response = await call("/projects/p/mcp", { method: "POST", body: "{}" });
    expect(response.headers.get("content-length")).toBe(String("event: message\ndata: {}\n\n".length));
    expect(response.headers.get("transfer-encoding")).toBeNull();
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(await response.text()).toBe("event: message\ndata: {}\n\n");
    const empty = await listen(createServer((_req, res) => res.writeHead(204).end()));
    const { call: callEmpty } = await setup(async () => leaseOn(empty));
    const noContent = await callEmpty("/projects/p/mcp", { method: "POST", body: "{}" });
    expect(noContent.status).toBe(204);
    expect(noContent.headers.get("content-length")).toBeNull();
  });

  it("serves a project's artifacts from the store, ranges too, and says when the store is down", async () => {
    const root = mkdtempSync(join(tmpdir(), "bod-runtime-artifacts-"));
    const store = createProjectArtifactStore((projectId) => join(root, projectId));
    const artifact = await store.put({
      projectId: "p-1",
      kind: "export",
      extension: "stl",
      mimeType: "model/stl",
      body: Buffer.from("solid x"),
    });
    const { call } = await setup(async () => {
      throw new Error("no worker is needed for artifacts");
    }, store);
    const whole = await call(`/projects/p-1/artifacts/${artifact.id}`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("content-type")).toBe("model/stl");
    expect(await whole.text()).toBe("solid x");
    const range = await call(`/projects/p-1/artifacts/${artifact.id}`, { headers: { range: "bytes=0-4" } });
    expect(range.status).toBe(206);
    expect(await range.text()).toBe("solid");
    await problemOf(await call(`/projects/p-2/artifacts/${artifact.id}`), 404, "artifact_not_found");
    await problemOf(await call(`/projects/Bad_Id/artifacts/${artifact.id}`), 400, "invalid_project_id");
    rmSync(root, { recursive: true, force: true });

    const down = new ArtifactStoreUnavailableError("The artifact store is down.", {
      operation: "get",
      reason: "unreachable",
      store: "s3://b",
      retryAfterSeconds: 5,
    });
    const failing = await setup(async () => leaseOn(1), {
      ...store,
      async get() {
        throw down;
      },
    });
    const refused = await failing.call(`/projects/p-1/artifacts/${artifact.id}`);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(await problemOf(refused, 503, "storage_unavailable")).toMatchObject({ detail: "The artifact store is down.", retryAfter: 5 });
  });
});
