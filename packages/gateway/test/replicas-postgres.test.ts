// Two gateway apps on one real PostgreSQL (each its own State instance, pool and lock
// connection, as two replicas have), with the scripted agent of the unit tests: the same message
// sent to both at once runs once (the other is 409), a cancel or a delete sent to one reaches the
// turn on the other, one rate limit across both, and a database stalled behind a TCP proxy is a
// 503 within the deadline, then served again.
import { createPostgresState } from "@bod/state/postgres";
import { createFaultProxy, createTestDatabase, type FaultProxy, type TestDatabase } from "@bod/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestGateway } from "../src/test-support/gateway-doubles.ts";

type TestGateway = Awaited<ReturnType<typeof createTestGateway>>;

let database: TestDatabase;
const cleanups: Array<() => Promise<unknown>> = [];

beforeEach(async () => {
  database = await createTestDatabase();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await database.drop();
});

/** A replica: its own State on the shared database (through `url`, e.g. a proxy), and a gateway app on it. */
async function replica(name: string, options: { url?: string; timeoutMs?: number } & Parameters<typeof createTestGateway>[0] = {}) {
  const { url, timeoutMs, ...gatewayOptions } = options;
  const state = await createPostgresState({ url: url ?? database.url, tag: name, ...(timeoutMs ? { timeoutMs } : {}) });
  cleanups.push(() => state.close());
  const gateway = await createTestGateway({ ...gatewayOptions, state, replicaName: name });
  cleanups.push(() => gateway.close());
  return gateway;
}

const json = { accept: "application/json" };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function createProject(gateway: TestGateway): Promise<string> {
  const response = await gateway.request("/api/projects", { method: "POST", token: gateway.alice, body: '{"name": "Shared"}' });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

describe("two gateway replicas on one PostgreSQL", () => {
  it("run the same message sent to both at once only once: the other answers 409", async () => {
    const a = await replica("replica-a");
    const b = await replica("replica-b");
    const project = await createProject(a);
    const path = `/api/projects/${project}/messages`;
    const release = a.holdTurns();
    const releaseB = b.holdTurns();
    const send = (gateway: TestGateway) =>
      gateway.request(path, { method: "POST", token: gateway.alice, body: '{"text": "add a cube"}', headers: json });
    const responses = [send(a), send(b)];
    // The loser answers at once; the winner waits at its first tool call until released.
    const first = await Promise.race(responses);
    expect(first.status).toBe(409);
    expect(((await first.json()) as { code: string }).code).toBe("turn_in_progress");
    release();
    releaseB();
    const statuses = (await Promise.all(responses)).map((response) => response.status).sort();
    expect(statuses).toEqual([200, 409]);
    expect(a.turns.length + b.turns.length).toBe(1);
    // The lease is back: the next message runs on either replica.
    expect((await send(b)).status).toBe(200);
  });

  it("carry a cancel sent to one replica to the turn running on the other, within a second", async () => {
    const a = await replica("replica-a");
    const b = await replica("replica-b");
    const project = await createProject(a);
    const release = a.holdTurns();
    const turn = a.request(`/api/projects/${project}/messages`, { method: "POST", token: a.alice, body: '{"text": "one"}', headers: json });
    await sleep(100);
    const started = Date.now();
    expect((await b.request(`/api/projects/${project}/turn`, { method: "DELETE", token: b.alice })).status).toBe(202);
    expect(((await (await turn).json()) as { status: string }).status).toBe("cancelled");
    expect(Date.now() - started).toBeLessThan(1000);
    release();
    expect((await b.request(`/api/projects/${project}/turn`, { method: "DELETE", token: b.alice })).status).toBe(404);
  });

  it("delete a project on one replica while the other runs its turn: the turn stops, the project and its conversation go", async () => {
    const a = await replica("replica-a");
    const b = await replica("replica-b");
    const project = await createProject(a);
    const path = `/api/projects/${project}/messages`;
    expect((await a.request(path, { method: "POST", token: a.alice, body: '{"text": "first"}', headers: json })).status).toBe(200);
    const release = a.holdTurns();
    const turn = a.request(path, { method: "POST", token: a.alice, body: '{"text": "second"}', headers: json });
    await sleep(100);
    expect((await b.request(`/api/projects/${project}`, { method: "DELETE", token: b.alice })).status).toBe(204);
    expect(((await (await turn).json()) as { status: string }).status).toBe("cancelled");
    release();
    for (const gateway of [a, b]) {
      expect((await gateway.request(`/api/projects/${project}`, { token: gateway.alice })).status).toBe(404);
      expect(await gateway.state.listMessages(project)).toEqual([]);
    }
  });

  it("share one message rate limit across both", async () => {
    const limits = { rateLimits: { messages: { capacity: 3, refillPerSecond: 0.001 } } };
    const a = await replica("replica-a", limits);
    const b = await replica("replica-b", limits);
    const projects = [await createProject(a), await createProject(a), await createProject(a), await createProject(a)];
    const send = (gateway: TestGateway, project: string) =>
      gateway.request(`/api/projects/${project}/messages`, { method: "POST", token: gateway.alice, body: '{"text": "hi"}', headers: json });
    const statuses = await Promise.all([send(a, projects[0]!), send(b, projects[1]!), send(a, projects[2]!), send(b, projects[3]!)]).then(
      (responses) => responses.map((response) => response.status),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(1);
  });

  it("answer 503 with Retry-After within the deadline while the database stalls, and serve again after", async () => {
    const target = new URL(database.url);
    const proxy: FaultProxy = await createFaultProxy({ host: target.hostname, port: Number(target.port) });
    cleanups.push(() => proxy.close());
    const a = await replica("replica-a", { url: proxy.rewrite(database.url), timeoutMs: 1000 });
    expect((await a.request("/api/projects", { token: a.alice })).status).toBe(200);
    proxy.pause();
    const started = Date.now();
    const stalled = await a.request("/api/projects", { token: a.alice });
    const elapsed = Date.now() - started;
    expect(stalled.status).toBe(503);
    expect(Number(stalled.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await stalled.json()) as { detail: string }).detail).toMatch(/database is not answering/);
    expect(elapsed).toBeLessThan(1500);
    proxy.resume();
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
      status = (await a.request("/api/projects", { token: a.alice })).status;
      if (status !== 200) await sleep(100);
    }
    expect(status).toBe(200);
  });
});
