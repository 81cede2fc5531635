// End-to-end through `bod serve` (real runtime, real Blender workers, the offline planner): the
// red-cube turn over SSE and JSON with the render's pixels checked, a GLB export, history,
// tenant isolation on every route, auth failures, malformed bodies, deletion, and `bod chat`.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiClient } from "./support/api-client.ts";
import { addUser, runBod, type ServeProcess, startServeProcess } from "./support/serve-process.ts";

let serve: ServeProcess;
let alice: ReturnType<typeof createApiClient>;
let bob: ReturnType<typeof createApiClient>;
let aliceToken: string;
let bobToken: string;
let projectId: string;
let renderUrl: string;
let renderSignedUrl: string;

beforeAll(async () => {
  serve = await startServeProcess();
  aliceToken = await addUser(serve.dataDir, "alice");
  bobToken = await addUser(serve.dataDir, "bob");
  alice = createApiClient(serve.url, aliceToken);
  bob = createApiClient(serve.url, bobToken);
  projectId = (await alice.json<{ id: string }>("/api/projects", { method: "POST", body: JSON.stringify({ name: "Red cube" }) })).id;
});

afterAll(async () => {
  await serve?.stop();
});

/** Share of pixels that are clearly red (sRGB), in the whole image. */
function redShare(png: PNG): number {
  let red = 0;
  for (let index = 0; index < png.data.length; index += 4) {
    const [r, g, b] = [png.data[index]!, png.data[index + 1]!, png.data[index + 2]!];
    if (r > 90 && r > 2 * g && r > 2 * b) red++;
  }
  return red / (png.width * png.height);
}

describe("a chat turn through the gateway", () => {
  it("streams the red-cube turn as it happens: Blender wakes, tools run, the render arrives", async () => {
    const events = await alice.stream(projectId, "Add a red cube and render the scene");
    const types = events.map((event) => event.event);
    expect(types[0]).toBe("turn-start");
    expect(events[0]!.at).toBeLessThan(1000);
    // The project's Blender: asleep when the turn starts (unless it is already waking by the first
    // look), then waking, then ready.
    const states = events.filter((event) => event.event === "instance-state").map((event) => event.data.state);
    expect(["asleep", "waking"]).toContain(states[0]);
    expect(states.indexOf("waking")).toBeGreaterThanOrEqual(0);
    expect(states.indexOf("ready")).toBeGreaterThan(states.indexOf("waking"));
    for (const type of ["turn-start", "plan", "tool-call-start", "progress", "tool-call-end", "reply", "turn-end"])
      expect(types).toContain(type);
    expect(types.indexOf("plan")).toBeLessThan(types.indexOf("tool-call-start"));
    expect(types.lastIndexOf("tool-call-end")).toBeLessThan(types.indexOf("reply"));
    expect(types.at(-1)).toBe("turn");
    // Events arrive while the turn runs, not all at the end.
    expect(events.find((event) => event.event === "tool-call-start")!.at).toBeLessThan(
      events.find((event) => event.event === "reply")!.at - 500,
    );

    const turn = events.at(-1)!.data as {
      status: string;
      reply: string;
      toolCalls: Array<{ name: string; arguments: { color?: string } }>;
      artifacts: Array<{ kind: string; mimeType: string; url: string; signedUrl: string }>;
    };
    expect(turn.status).toBe("completed");
    expect(turn.toolCalls.map((call) => call.name)).toEqual(["add_object", "render_frame"]);
    expect(turn.toolCalls[0]!.arguments.color).toBe("red");
    // The runtime's URLs (which need the runtime token) never reach a user; the gateway's do.
    expect(turn.reply).not.toContain(`${serve.url}/projects/`);
    expect(turn.reply).toContain(`${serve.url}/api/projects/${projectId}/artifacts/`);
    expect(turn.artifacts).toHaveLength(1);
    const [artifact] = turn.artifacts;
    expect(artifact).toMatchObject({ kind: "render", mimeType: "image/png" });
    renderUrl = artifact!.url;
    renderSignedUrl = artifact!.signedUrl;

    const response = await alice.fetch(new URL(renderUrl).pathname);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
    const png = PNG.sync.read(Buffer.from(await response.arrayBuffer()));
    expect([png.width, png.height]).toEqual([960, 540]);
    // The cube sits in the middle of the frame and is red.
    expect(redShare(png)).toBeGreaterThan(0.02);
    const center = ((png.height / 2) * png.width + png.width / 2) * 4;
    expect(png.data[center]!).toBeGreaterThan(2 * png.data[center + 1]!);
  });

  it("answers a JSON turn once, with the export as an artifact", async () => {
    const response = await alice.fetch(`/api/projects/${projectId}/messages`, {
      method: "POST",
      headers: { accept: "application/json" },
      body: JSON.stringify({ text: "Export the scene as GLB" }),
    });
    expect(response.status).toBe(200);
    const turn = (await response.json()) as {
      reply: string;
      artifacts: Array<{ kind: string; mimeType: string; signedUrl: string }>;
      instance: { state: string };
    };
    expect(turn.artifacts).toHaveLength(1);
    expect(turn.artifacts[0]).toMatchObject({ kind: "export", mimeType: "model/gltf-binary" });
    expect(turn.instance.state).toBe("ready");
    // The signed link works without a token.
    const glb = await fetch(turn.artifacts[0]!.signedUrl);
    expect(glb.status).toBe(200);
    expect(
      Buffer.from(await glb.arrayBuffer())
        .subarray(0, 4)
        .toString(),
    ).toBe("glTF");
  });

  it("keeps the history with artifacts", async () => {
    const { messages } = await alice.json<{ messages: Array<{ role: string; text: string; artifacts: Array<{ kind: string }> }> }>(
      `/api/projects/${projectId}/messages`,
    );
    expect(messages.map((message) => message.role)).toEqual(["user", "assistant", "user", "assistant"]);
    expect(messages[0]!.text).toBe("Add a red cube and render the scene");
    expect(messages[1]!.artifacts.map((artifact) => artifact.kind)).toEqual(["render"]);
    expect(messages[3]!.artifacts.map((artifact) => artifact.kind)).toEqual(["export"]);
  });

  it("shows the project's Blender as ready with a countdown to sleep", async () => {
    const instance = await alice.json<{ state: string; sleepsInSeconds: number; coldStartMs: number }>(
      `/api/projects/${projectId}/instance`,
    );
    expect(instance.state).toBe("ready");
    expect(instance.sleepsInSeconds).toBeGreaterThan(30);
    expect(instance.coldStartMs).toBeGreaterThan(0);
  });
});

describe("tenant isolation", () => {
  it("answers 404 to another user on every route of a project, and changes nothing", async () => {
    const artifactPath = new URL(renderUrl).pathname;
    const routes: Array<[string, string, string?]> = [
      ["GET", `/api/projects/${projectId}`],
      ["GET", `/api/projects/${projectId}/instance`],
      ["GET", `/api/projects/${projectId}/messages`],
      ["POST", `/api/projects/${projectId}/messages`, JSON.stringify({ text: "delete the cube" })],
      ["GET", artifactPath],
      ["DELETE", `/api/projects/${projectId}/turn`],
      ["DELETE", `/api/projects/${projectId}`],
    ];
    for (const [method, path, body] of routes) {
      const response = await bob.fetch(path, { method, ...(body ? { body, headers: { accept: "application/json" } } : {}) });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
    }
    expect((await bob.json<{ projects: unknown[] }>("/api/projects")).projects).toEqual([]);
    const { messages } = await alice.json<{ messages: unknown[] }>(`/api/projects/${projectId}/messages`);
    expect(messages).toHaveLength(4);
    expect((await alice.fetch(artifactPath)).status).toBe(200);
  });

  it("does not let a signed link for one project open another's files", async () => {
    const signed = new URL(renderSignedUrl);
    const bobsProject = (await bob.json<{ id: string }>("/api/projects", { method: "POST", body: JSON.stringify({ name: "Bob" }) })).id;
    const moved = signed.pathname.replace(projectId, bobsProject);
    expect((await fetch(`${serve.url}${moved}${signed.search}`)).status).toBe(401);
  });
});

describe("authentication", () => {
  it("refuses every /api route without a valid user token", async () => {
    const artifactPath = new URL(renderUrl).pathname;
    const anonymous = createApiClient(serve.url, undefined);
    const wrong = createApiClient(serve.url, `${aliceToken.slice(0, -2)}xx`);
    const runtimeToken = createApiClient(serve.url, serve.runtimeToken);
    for (const client of [anonymous, wrong, runtimeToken]) {
      for (const [method, path] of [
        ["GET", "/api/me"],
        ["GET", "/api/projects"],
        ["POST", "/api/projects"],
        ["GET", `/api/projects/${projectId}`],
        ["GET", `/api/projects/${projectId}/messages`],
        ["POST", `/api/projects/${projectId}/messages`],
        ["GET", artifactPath],
        ["DELETE", `/api/projects/${projectId}`],
      ] as const) {
        const response = await client.fetch(path, { method, ...(method === "POST" ? { body: '{"text":"x","name":"x"}' } : {}) });
        expect(response.status, `${method} ${path}`).toBe(401);
        expect(((await response.json()) as { code: string }).code).toBe("unauthorized");
      }
    }
  });

  it("keeps the runtime's routes on the runtime token only", async () => {
    expect((await alice.fetch("/api/instances")).status).toBe(401);
    expect((await alice.fetch(`/projects/${projectId}/mcp`, { method: "POST", body: "{}" })).status).toBe(401);
    expect((await createApiClient(serve.url, serve.runtimeToken).fetch("/api/instances")).status).toBe(200);
  });
});

describe("request validation over HTTP", () => {
  it("answers malformed and oversized bodies with problems that say what is allowed", async () => {
    const post = (path: string, body: string, headers: Record<string, string> = {}) => alice.fetch(path, { method: "POST", body, headers });
    const cases: Array<[Response, number, string]> = [
      [await post("/api/projects", "{"), 400, "not valid JSON"],
      [await post("/api/projects", '{"title": "x"}'), 400, '{"name": string'],
      [await post("/api/projects", '{"name": 42}'), 400, "name"],
      [await post(`/api/projects/${projectId}/messages`, '{"text": ""}'), 400, '{"text": string'],
      [await post(`/api/projects/${projectId}/messages`, JSON.stringify({ text: "x".repeat(5000) })), 400, "4000"],
      [await post(`/api/projects/${projectId}/messages`, JSON.stringify({ text: "x".repeat(1_000_000) })), 413, "bytes"],
      [await post("/api/projects", "name=x", { "content-type": "text/plain" }), 400, "application/json"],
    ];
    for (const [response, status, mention] of cases) {
      expect(response.status).toBe(status);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(((await response.json()) as { detail: string }).detail).toContain(mention);
    }
  });

  it("publishes the OpenAPI document and serves the web UI", async () => {
    const document = (await (await fetch(`${serve.url}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(["/api/projects", "/api/projects/{id}/messages", "/api/projects/{id}/artifacts/{artifactId}"]),
    );
    const page = await fetch(`${serve.url}/`);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect((await fetch(`${serve.url}/vendor/model-viewer.min.js`)).status).toBe(200);
  });
});

describe("bod chat", () => {
  it("runs one turn against the running server and prints the reply and the artifact links", async () => {
    const { stdout, stderr } = await runBod(["chat", "--project", "Red cube", "render the scene"], {
      BOD_URL: serve.url,
      BOD_TOKEN: aliceToken,
    });
    expect(stderr).toContain("render_frame");
    expect(stdout).toMatch(/Rendered/);
    expect(stdout).toMatch(new RegExp(`^render image/png ${serve.url}/api/projects/${projectId}/artifacts/[0-9a-f]{32}\\.png\\?exp=`, "m"));
  });
});

describe("deleting a project", () => {
  it("stops its worker and removes its scene, artifacts and conversation", async () => {
    const response = await alice.fetch(`/api/projects/${projectId}`, { method: "DELETE" });
    expect(response.status).toBe(204);
    expect((await alice.fetch(`/api/projects/${projectId}`)).status).toBe(404);
    expect((await alice.fetch(new URL(renderUrl).pathname)).status).toBe(404);
    expect((await fetch(renderSignedUrl)).status).toBe(404);
    expect(existsSync(join(serve.dataDir, "projects", projectId))).toBe(false);
    const instance = await createApiClient(serve.url, serve.runtimeToken).json<{ state: string }>(`/api/instances/${projectId}`);
    expect(instance.state).toBe("stopped");
  });
});
