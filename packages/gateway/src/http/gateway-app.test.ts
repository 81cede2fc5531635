// The gateway's routes in-process (hono app.request): validation, auth, tenant isolation,
// streaming and JSON turns, signed links, rate limits and the error mapping.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UnavailableError } from "../errors/unavailable-error.ts";
import { createTestGateway, PNG_BYTES, parseSse } from "../test-support/gateway-doubles.ts";

let gateway: Awaited<ReturnType<typeof createTestGateway>>;
beforeEach(async () => {
  gateway = await createTestGateway();
});
afterEach(async () => {
  await gateway.close();
});

async function createProject(token: string, name = "Red cube") {
  const response = await gateway.request("/api/projects", { method: "POST", token, body: JSON.stringify({ name }) });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; name: string; instance: { state: string } };
}

describe("authentication", () => {
  it("refuses every /api route without a token, or with a wrong one, as problem+json 401", async () => {
    for (const [method, path] of [
      ["GET", "/api/projects"],
      ["POST", "/api/projects"],
      ["GET", "/api/projects/x-1"],
      ["DELETE", "/api/projects/x-1"],
      ["GET", "/api/projects/x-1/messages"],
      ["POST", "/api/projects/x-1/messages"],
      ["GET", "/api/projects/x-1/artifacts/a.png"],
      ["GET", "/api/me"],
    ] as const) {
      for (const token of [undefined, "nonsense", `bod_0123456789abcdef_${"A".repeat(43)}`]) {
        const response = await gateway.request(path, { method, ...(token ? { token } : {}) });
        expect(response.status, `${method} ${path}`).toBe(401);
        expect(response.headers.get("content-type")).toBe("application/problem+json");
        expect(response.headers.get("www-authenticate")).toContain("Bearer");
        expect(((await response.json()) as { code: string }).code).toBe("unauthorized");
      }
    }
  });

  it("knows the caller by token", async () => {
    const response = await gateway.request("/api/me", { token: gateway.alice });
    expect(await response.json()).toMatchObject({ name: "alice" });
  });

  it("serves the OpenAPI document without a token", async () => {
    const response = await gateway.request("/api/openapi.json");
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe("3.1.0");
    expect(Object.keys(document.paths)).toContain("/api/projects/{id}/messages");
  });
});

describe("validation", () => {
  it("answers malformed JSON and wrong shapes with 400 and what is allowed", async () => {
    const cases: Array<[string, string]> = [
      ["{not json", "not valid JSON"],
      ["[]", "wrong shape"],
      ['{"name": 5}', "name"],
      ['{"name": ""}', "name"],
      ['{"name": "ok", "extra": 1}', "extra"],
      [JSON.stringify({ name: "x".repeat(101) }), "name"],
      [JSON.stringify({ name: "report\u202Etxt.exe" }), "U+202E"],
      [JSON.stringify({ name: "red\u001b[2Jcube" }), "no control characters"],
    ];
    for (const [body, mention] of cases) {
      const response = await gateway.request("/api/projects", { method: "POST", token: gateway.alice, body });
      expect(response.status, body).toBe(400);
      const problem = (await response.json()) as { code: string; detail: string };
      expect(problem.code).toBe("invalid_request");
      expect(problem.detail).toContain(mention);
      expect(problem.detail).toContain("Allowed:");
    }
  });

  it("refuses a non-JSON content type and bodies over the limit", async () => {
    const wrongType = await gateway.request("/api/projects", {
      method: "POST",
      token: gateway.alice,
      body: "name=x",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(wrongType.status).toBe(400);
    const project = await createProject(gateway.alice);
    const huge = await gateway.request(`/api/projects/${project.id}/messages`, {
      method: "POST",
      token: gateway.alice,
      body: JSON.stringify({ text: "x".repeat(70_000) }),
    });
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { code: string }).code).toBe("payload_too_large");
  });

  it("validates message bodies and the Accept header", async () => {
    const project = await createProject(gateway.alice);
    const path = `/api/projects/${project.id}/messages`;
    const empty = await gateway.request(path, { method: "POST", token: gateway.alice, body: '{"text": "   "}' });
    expect(empty.status).toBe(400);
    const wrongField = await gateway.request(path, { method: "POST", token: gateway.alice, body: '{"message": "hi"}' });
    expect(wrongField.status).toBe(400);
    expect(((await wrongField.json()) as { detail: string }).detail).toContain('{"text": string');
    const xml = await gateway.request(path, {
      method: "POST",
      token: gateway.alice,
      body: '{"text": "hi"}',
      headers: { accept: "application/xml" },
    });
    expect(xml.status).toBe(406);
    expect(gateway.turns).toHaveLength(0);
  });

  it("answers unknown routes with a problem 404", async () => {
    const response = await gateway.request("/api/nothing", { token: gateway.alice });
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });
});

describe("projects", () => {
  it("creates, lists, shows and deletes a project", async () => {
    const project = await createProject(gateway.alice, "My Red Cube!");
    expect(project.id).toMatch(/^my-red-cube-[0-9a-f]{8}$/);
    expect(project.instance.state).toBe("asleep");
    const list = (await (await gateway.request("/api/projects", { token: gateway.alice })).json()) as { projects: Array<{ id: string }> };
    expect(list.projects.map((entry) => entry.id)).toEqual([project.id]);
    expect((await gateway.request(`/api/projects/${project.id}`, { token: gateway.alice })).status).toBe(200);
    const deleted = await gateway.request(`/api/projects/${project.id}`, { method: "DELETE", token: gateway.alice });
    expect(deleted.status).toBe(204);
    // Released before the project is forgotten, and again after, for anything a turn stored meanwhile.
    expect(gateway.released).toEqual([project.id, project.id]);
    expect((await gateway.request(`/api/projects/${project.id}`, { token: gateway.alice })).status).toBe(404);
  });

  it("keeps a project whose files could not be deleted, so that deleting it again finishes the job", async () => {
    let storeDown = true;
    const flaky = await createTestGateway({
      runtime: {
        instance: async () => undefined,
        async release() {
          if (storeDown) throw new UnavailableError("The project's artifacts could not be deleted: the store did not answer.", 5);
        },
      },
    });
    try {
      const created = await flaky.request("/api/projects", { method: "POST", token: flaky.alice, body: '{"name": "Doomed"}' });
      const project = (await created.json()) as { id: string };
      const refused = await flaky.request(`/api/projects/${project.id}`, { method: "DELETE", token: flaky.alice });
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("5");
      expect((await flaky.request(`/api/projects/${project.id}`, { token: flaky.alice })).status).toBe(200);
      storeDown = false;
      expect((await flaky.request(`/api/projects/${project.id}`, { method: "DELETE", token: flaky.alice })).status).toBe(204);
      expect((await flaky.request(`/api/projects/${project.id}`, { token: flaky.alice })).status).toBe(404);
    } finally {
      await flaky.close();
    }
  });

  it("hides one user's projects from another: every route is 404", async () => {
    const project = await createProject(gateway.alice);
    const turn = await gateway.request(`/api/projects/${project.id}/messages`, {
      method: "POST",
      token: gateway.alice,
      body: '{"text": "render"}',
      headers: { accept: "application/json" },
    });
    const artifactUrl = new URL(((await turn.json()) as { artifacts: Array<{ url: string }> }).artifacts[0]!.url);
    const routes: Array<[string, string, string?]> = [
      ["GET", `/api/projects/${project.id}`],
      ["GET", `/api/projects/${project.id}/instance`],
      ["GET", `/api/projects/${project.id}/messages`],
      ["POST", `/api/projects/${project.id}/messages`, '{"text": "delete everything"}'],
      ["GET", artifactUrl.pathname],
      ["DELETE", `/api/projects/${project.id}`],
    ];
    for (const [method, path, body] of routes) {
      const response = await gateway.request(path, { method, token: gateway.bob, ...(body ? { body } : {}) });
      expect(response.status, `${method} ${path}`).toBe(404);
    }
    const bobs = (await (await gateway.request("/api/projects", { token: gateway.bob })).json()) as { projects: unknown[] };
    expect(bobs.projects).toEqual([]);
    expect(gateway.turns).toHaveLength(1);
    expect(gateway.released).toEqual([]);
    expect((await gateway.request(artifactUrl.pathname, { token: gateway.alice })).status).toBe(200);
  });
});

describe("messages", () => {
  it("answers a JSON turn with the reply, tool calls and gateway artifact URLs", async () => {
    const project = await createProject(gateway.alice);
    const response = await gateway.request(`/api/projects/${project.id}/messages`, {
      method: "POST",
      token: gateway.alice,
      body: '{"text": "Add a red cube and render the scene"}',
      headers: { accept: "application/json" },
    });
    expect(response.status).toBe(200);
    const turn = (await response.json()) as {
      reply: string;
      toolCalls: Array<{ name: string; result: { artifact: { url: string } } }>;
      artifacts: Array<{ kind: string; mimeType: string; url: string; signedUrl: string }>;
      instance: { state: string; sleepsInSeconds: number };
    };
    expect(turn.reply).toContain("red cube");
    expect(turn.artifacts).toHaveLength(1);
    const [artifact] = turn.artifacts;
    expect(artifact).toMatchObject({ kind: "render", mimeType: "image/png" });
    expect(artifact!.url).toMatch(new RegExp(`^http://127.0.0.1:7800/api/projects/${project.id}/artifacts/[0-9a-f]{32}\\.png$`));
    expect(turn.toolCalls[0]!.result.artifact.url).toBe(artifact!.url);
    expect(turn.reply).toContain(`The image: ${artifact!.url}`);
    expect(turn.reply).not.toContain("http://runtime/");
    expect(turn.instance.state).toBe("ready");
    expect(turn.instance.sleepsInSeconds).toBeGreaterThan(50);

    const owner = await gateway.request(new URL(artifact!.url).pathname, { token: gateway.alice });
    expect(owner.status).toBe(200);
    expect(owner.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await owner.arrayBuffer())).toEqual(PNG_BYTES);
  });

  it("streams a turn as SSE events in order, with instance states", async () => {
    const project = await createProject(gateway.alice);
    const response = await gateway.request(`/api/projects/${project.id}/messages`, {
      method: "POST",
      token: gateway.alice,
      body: '{"text": "render"}',
      headers: { accept: "text/event-stream" },
    });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const events = parseSse(await response.text());
    const types = events.map((entry) => entry.event);
    expect(types[0]).toBe("turn-start");
    expect(types).toContain("instance-state");
    expect(types.indexOf("plan")).toBeLessThan(types.indexOf("tool-call-start"));
    expect(types.indexOf("tool-call-start")).toBeLessThan(types.indexOf("tool-call-end"));
    expect(types.indexOf("reply")).toBeLessThan(types.indexOf("turn-end"));
    expect(types.at(-1)).toBe("turn");
    const states = events.filter((entry) => entry.event === "instance-state").map((entry) => entry.data.state);
    expect(states).toContain("waking");
    expect(states).toContain("ready");
    const end = events.find((entry) => entry.event === "tool-call-end")!.data as { artifacts: Array<{ signedUrl: string }> };
    expect(end.artifacts[0]!.signedUrl).toContain("sig=");
  });

  it("refuses a second message while a turn runs on the project (409)", async () => {
    const project = await createProject(gateway.alice);
    const release = gateway.holdTurns();
    const path = `/api/projects/${project.id}/messages`;
    const first = gateway.request(path, {
      method: "POST",
      token: gateway.alice,
      body: '{"text": "one"}',
      headers: { accept: "application/json" },
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await gateway.request(path, {
      method: "POST",
      token: gateway.alice,
      body: '{"text": "two"}',
      headers: { accept: "application/json" },
    });
    expect(second.status).toBe(409);
    release();
    expect((await first).status).toBe(200);
  });

  it("cancels a running turn on request, and says when none runs", async () => {
    const project = await createProject(gateway.alice);
    const release = gateway.holdTurns();
    const path = `/api/projects/${project.id}/messages`;
    const turn = gateway.request(path, {
      method: "POST",
      token: gateway.alice,
      body: '{"text": "one"}',
      headers: { accept: "application/json" },
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await gateway.request(`/api/projects/${project.id}/turn`, { method: "DELETE", token: gateway.bob })).status).toBe(404);
    expect((await gateway.request(`/api/projects/${project.id}/turn`, { method: "DELETE", token: gateway.alice })).status).toBe(202);
    expect(((await (await turn).json()) as { status: string }).status).toBe("cancelled");
    release();
    expect((await gateway.request(`/api/projects/${project.id}/turn`, { method: "DELETE", token: gateway.alice })).status).toBe(404);
  });

  it("returns the history with fresh artifact links", async () => {
    const project = await createProject(gateway.alice);
    await gateway.request(`/api/projects/${project.id}/messages`, {
      method: "POST",
      token: gateway.alice,
      body: '{"text": "render"}',
      headers: { accept: "application/json" },
    });
    const response = await gateway.request(`/api/projects/${project.id}/messages`, { token: gateway.alice });
    const { messages } = (await response.json()) as { messages: Array<{ role: string; artifacts: Array<{ url: string }> }> };
    expect(messages.map((message) => message.role)).toEqual(["user", "assistant"]);
    expect(messages[1]!.artifacts[0]!.url).toContain(`/api/projects/${project.id}/artifacts/`);
    const badQuery = await gateway.request(`/api/projects/${project.id}/messages?limit=0`, { token: gateway.alice });
    expect(badQuery.status).toBe(400);
  });
});

describe("artifacts", () => {
  it("serves a signed link without a token, and refuses a tampered or expired one", async () => {
    const project = await createProject(gateway.alice);
    const turn = await gateway.request(`/api/projects/${project.id}/messages`, {
      method: "POST",
      token: gateway.alice,
      body: '{"text": "render"}',
      headers: { accept: "application/json" },
    });
    const { signedUrl } = ((await turn.json()) as { artifacts: Array<{ signedUrl: string }> }).artifacts[0]!;
    const url = new URL(signedUrl);
    expect((await gateway.request(`${url.pathname}${url.search}`)).status).toBe(200);
    const sig = url.searchParams.get("sig")!;
    const tampered = `${url.pathname}?exp=${url.searchParams.get("exp")}&sig=${sig[0] === "A" ? "B" : "A"}${sig.slice(1)}`;
    expect((await gateway.request(tampered)).status).toBe(401);
    const expired = `${url.pathname}?exp=1000&sig=${url.searchParams.get("sig")}`;
    expect((await gateway.request(expired)).status).toBe(401);
    const otherPath = `/api/projects/${project.id}/artifacts/${"0".repeat(32)}.png${url.search}`;
    expect((await gateway.request(otherPath)).status).toBe(401);
  });
});

describe("rate limits", () => {
  it("answers 429 with Retry-After once a user's burst is spent, without touching other users", async () => {
    await gateway.close();
    gateway = await createTestGateway({ rateLimits: { requests: { capacity: 3, refillPerSecond: 0.01 } } });
    for (let index = 0; index < 3; index++) expect((await gateway.request("/api/projects", { token: gateway.alice })).status).toBe(200);
    const limited = await gateway.request("/api/projects", { token: gateway.alice });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await gateway.request("/api/projects", { token: gateway.bob })).status).toBe(200);
  });

  it("slows a client that keeps sending wrong tokens", async () => {
    await gateway.close();
    gateway = await createTestGateway({ rateLimits: { authFailures: { capacity: 2, refillPerSecond: 0.01 } } });
    expect((await gateway.request("/api/projects", { token: "wrong" })).status).toBe(401);
    expect((await gateway.request("/api/projects", { token: "wrong" })).status).toBe(401);
    const limited = await gateway.request("/api/projects", { token: "wrong" });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).not.toBeNull();
    expect((await gateway.request("/api/projects", { token: gateway.alice })).status).toBe(200);
  });
});
