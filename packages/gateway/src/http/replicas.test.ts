// Two gateway replicas on one State (two SQLite State instances on the same temp file, as two
// processes would share PostgreSQL): one turn per project across both (the other answers 409),
// a cancel or a delete sent to either reaches the turn, one rate limit across both, and a State
// that does not answer becomes 503 with Retry-After.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type State, StateUnavailableError } from "@bod/state";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestGateway, parseSse } from "../test-support/gateway-doubles.ts";

type TestGateway = Awaited<ReturnType<typeof createTestGateway>>;

let folder: string;
let gateways: TestGateway[];

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), "bod-replicas-"));
  gateways = [];
});
afterEach(async () => {
  for (const gateway of gateways) await gateway.close();
  rmSync(folder, { recursive: true, force: true });
});

async function replicas(options: Parameters<typeof createTestGateway>[0] = {}): Promise<[TestGateway, TestGateway]> {
  const statePath = join(folder, "bod.sqlite");
  const a = await createTestGateway({ ...options, statePath, replicaName: "replica a" });
  gateways.push(a);
  const b = await createTestGateway({ ...options, statePath, replicaName: "replica b" });
  gateways.push(b);
  return [a, b];
}

const json = { accept: "application/json" };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("two replicas on one state", () => {
  it("run one turn of a project at a time: the other replica answers 409, then runs the next", async () => {
    const [a, b] = await replicas();
    const created = await a.request("/api/projects", { method: "POST", token: a.alice, body: '{"name": "Shared"}' });
    const project = (await created.json()) as { id: string };
    const path = `/api/projects/${project.id}/messages`;
    const release = a.holdTurns();
    const first = a.request(path, { method: "POST", token: a.alice, body: '{"text": "one"}', headers: json });
    await sleep(30);
    const refused = await b.request(path, { method: "POST", token: b.alice, body: '{"text": "two"}', headers: json });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { code: string }).code).toBe("turn_in_progress");
    release();
    expect((await first).status).toBe(200);
    const next = await b.request(path, { method: "POST", token: b.alice, body: '{"text": "three"}', headers: json });
    expect(next.status).toBe(200);
    const history = await a.request(path, { token: a.alice });
    const texts = ((await history.json()) as { messages: Array<{ role: string; text: string }> }).messages
      .filter((message) => message.role === "user")
      .map((message) => message.text);
    expect(texts).toEqual(["one", "three"]);
  });

  it("carry a cancel sent to one replica to the turn running on the other", async () => {
    const [a, b] = await replicas();
    const project = (await (await a.request("/api/projects", { method: "POST", token: a.alice, body: '{"name": "P"}' })).json()) as {
      id: string;
    };
    const release = a.holdTurns();
    const turn = a.request(`/api/projects/${project.id}/messages`, {
      method: "POST",
      token: a.alice,
      body: '{"text": "one"}',
      headers: json,
    });
    await sleep(30);
    expect((await b.request(`/api/projects/${project.id}/turn`, { method: "DELETE", token: b.bob })).status).toBe(404);
    expect((await b.request(`/api/projects/${project.id}/turn`, { method: "DELETE", token: b.alice })).status).toBe(202);
    expect(((await (await turn).json()) as { status: string }).status).toBe("cancelled");
    release();
    expect((await b.request(`/api/projects/${project.id}/turn`, { method: "DELETE", token: b.alice })).status).toBe(404);
  });

  it("delete a project on one replica while the other runs its turn: the turn stops, the conversation goes", async () => {
    const [a, b] = await replicas();
    const project = (await (await a.request("/api/projects", { method: "POST", token: a.alice, body: '{"name": "P"}' })).json()) as {
      id: string;
    };
    const path = `/api/projects/${project.id}/messages`;
    expect((await a.request(path, { method: "POST", token: a.alice, body: '{"text": "first"}', headers: json })).status).toBe(200);
    const release = a.holdTurns();
    const turn = a.request(path, { method: "POST", token: a.alice, body: '{"text": "second"}', headers: json });
    await sleep(30);
    expect((await b.request(`/api/projects/${project.id}`, { method: "DELETE", token: b.alice })).status).toBe(204);
    expect(((await (await turn).json()) as { status: string }).status).toBe("cancelled");
    release();
    expect(b.released).toEqual([project.id, project.id]);
    for (const gateway of [a, b]) {
      expect((await gateway.request(`/api/projects/${project.id}`, { token: gateway.alice })).status).toBe(404);
      expect(await gateway.state.listMessages(project.id)).toEqual([]);
    }
  });

  it("share one rate limit: the burst is spent across both", async () => {
    const [a, b] = await replicas({ rateLimits: { requests: { capacity: 4, refillPerSecond: 0.01 } } });
    // Alice's requests count against one bucket whichever replica they reach; bob has his own.
    expect((await a.request("/api/me", { token: a.alice })).status).toBe(200);
    expect((await b.request("/api/me", { token: b.alice })).status).toBe(200);
    expect((await a.request("/api/me", { token: a.alice })).status).toBe(200);
    expect((await b.request("/api/me", { token: b.alice })).status).toBe(200);
    const limited = await a.request("/api/me", { token: a.alice });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await b.request("/api/me", { token: b.alice })).status).toBe(429);
    expect((await b.request("/api/me", { token: b.bob })).status).toBe(200);
  });
});

/** `state` with `method` failing as a database that does not answer would. */
function unavailable<K extends keyof State>(state: State, method: K): State {
  return new Proxy(state, {
    get(target, key, receiver) {
      if (key === method)
        return async () => {
          throw new StateUnavailableError("The state database did not answer within 5 s.", { retryAfterSeconds: 7 });
        };
      const value = Reflect.get(target, key, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

describe("a state that does not answer", () => {
  it("is 503 with Retry-After and a message the user can act on", async () => {
    const base = await createTestGateway({ statePath: join(folder, "bod.sqlite") });
    gateways.push(base);
    const broken = await createTestGateway({ statePath: join(folder, "bod.sqlite"), state: unavailable(base.state, "listProjects") });
    gateways.push(broken);
    const response = await broken.request("/api/projects", { token: broken.alice });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("7");
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = (await response.json()) as { code: string; detail: string; retryAfterSeconds: number };
    expect(problem.code).toBe("unavailable");
    expect(problem.detail).toMatch(/database is not answering right now\. Try again in 7 s/);
    expect(problem.detail).not.toMatch(/5 s/);
    expect(problem.retryAfterSeconds).toBe(7);
  });

  it("ends a streamed turn with an error event that says so", async () => {
    const base = await createTestGateway({ statePath: join(folder, "bod.sqlite") });
    gateways.push(base);
    const project = (await (await base.request("/api/projects", { method: "POST", token: base.alice, body: '{"name": "P"}' })).json()) as {
      id: string;
    };
    const broken = await createTestGateway({
      statePath: join(folder, "bod.sqlite"),
      state: unavailable(base.state, "appendMessage"),
    });
    gateways.push(broken);
    const response = await broken.request(`/api/projects/${project.id}/messages`, {
      method: "POST",
      token: broken.alice,
      body: '{"text": "hi"}',
      headers: { accept: "text/event-stream" },
    });
    const events = parseSse(await response.text());
    const error = events.find((event) => event.event === "error");
    expect(error?.data).toMatchObject({ code: "unavailable", retryAfterSeconds: 7 });
    expect(String(error?.data.message)).toMatch(/database is not answering/);
    // The lease was given back: the next message is not refused as a turn in progress.
    const next = await base.request(`/api/projects/${project.id}/messages`, {
      method: "POST",
      token: base.alice,
      body: '{"text": "again"}',
      headers: json,
    });
    expect(next.status).toBe(200);
  });
});
