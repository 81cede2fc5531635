// End-to-end: the agent with the offline planner against a real `bod worker` and real Blender,
// through the MCP tool client. Each instruction is checked against the scene the worker reports
// afterwards (get_scene), not against the planned calls.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseColorToSrgb } from "@bod/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Agent, type AgentEvent, createAgent, type TurnResult } from "../src/agent.ts";
import { createLlmReasoner } from "../src/llm/llm-reasoner.ts";
import { createPlannerReasoner } from "../src/planner/planner-reasoner.ts";
import type { Scene } from "../src/scene.ts";
import { createMemoryAgentStore } from "../src/testing/memory-agent-store.ts";
import { startScriptedOpenAiServer } from "../src/testing/scripted-openai-server.ts";
import { createMcpToolClient, type McpToolClient } from "../src/tool-client.ts";

const CLI_ENTRY = resolve(import.meta.dirname, "../../cli/src/main.ts");

let worker: ChildProcess | undefined;
let workerLogs = "";
let dataDir = "";
let url = "";
let toolClient: McpToolClient;
const store = createMemoryAgentStore();
let agent: Agent;

/** Starts `bod worker --port 0` and waits for its ready message on the control channel. */
async function startWorker(): Promise<void> {
  dataDir = await mkdtemp(join(tmpdir(), "bod-agent-e2e-"));
  worker = spawn(process.execPath, [CLI_ENTRY, "worker", "--port", "0", "--data-dir", join(dataDir, "worker")], {
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  worker.stdout?.on("data", (chunk) => {
    workerLogs += chunk;
  });
  worker.stderr?.on("data", (chunk) => {
    workerLogs += chunk;
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    let listening = 0;
    const timer = setTimeout(() => reject(new Error(`worker not ready after 90 s:\n${workerLogs}`)), 90_000);
    worker!.on("message", (message: { type?: string; port?: number }) => {
      if (message.type === "listening" && typeof message.port === "number") listening = message.port;
      if (message.type === "ready") {
        clearTimeout(timer);
        resolvePort(listening);
      }
    });
    worker!.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code} before ready:\n${workerLogs}`));
    });
  });
  url = `http://127.0.0.1:${port}`;
}

async function scene(): Promise<Scene> {
  const outcome = await toolClient.callTool({ projectId: "e2e", name: "get_scene", arguments: { limit: 500 } });
  return outcome.structuredContent as Scene;
}

function object(current: Scene, name: string) {
  const found = current.objects.find((entry) => entry.name === name);
  expect(found, `${name} in ${current.objects.map((entry) => entry.name).join(", ")}`).toBeDefined();
  return found!;
}

/** Whether a stored #rrggbb is close to a named color (the worker converts through linear RGB). */
function near(hex: string | undefined, color: string): boolean {
  const a = parseColorToSrgb(hex ?? "");
  const b = parseColorToSrgb(color);
  if (!a || !b) return false;
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]) < 0.06;
}

const events: AgentEvent[] = [];

async function turn(text: string): Promise<TurnResult> {
  events.length = 0;
  const result = await agent.runTurn({ projectId: "e2e", text, onEvent: (event) => events.push(event) });
  const failures = result.toolCalls.filter((call) => call.error).map((call) => `${call.name}: ${call.error?.message}`);
  expect(failures, `${text}\n${result.reply}`).toEqual([]);
  return result;
}

beforeAll(async () => {
  await startWorker();
  toolClient = createMcpToolClient({ url: `${url}/mcp` });
  agent = createAgent({ reasoner: createPlannerReasoner(), toolClient, store });
}, 120_000);

afterAll(async () => {
  await toolClient?.close();
  if (worker && worker.exitCode === null) {
    const exited = new Promise((done) => worker!.once("exit", done));
    worker.kill("SIGTERM");
    await exited;
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("offline planner against real Blender", () => {
  it("answers 'what can you do?' with no tool call", async () => {
    const result = await turn("what can you do?");
    expect(result.toolCalls).toEqual([]);
  });

  it("adds a red cube and renders the scene to a PNG", async () => {
    const result = await turn("Add a red cube and render the scene");
    expect(result.toolCalls.map((call) => call.name)).toEqual(["add_object", "render_frame"]);
    const cube = object(await scene(), "Cube");
    expect(near(cube.material?.baseColor, "red")).toBe(true);
    // Blender's render progress arrives as MCP progress notifications, then as progress events.
    expect(events.some((event) => event.type === "progress" && event.name === "render_frame")).toBe(true);
    const render = result.artifacts.find((artifact) => artifact.mimeType === "image/png");
    expect(render).toBeDefined();
    const png = new Uint8Array(await (await fetch(render!.url)).arrayBuffer());
    expect([...png.slice(1, 4)].map((code) => String.fromCharCode(code)).join("")).toBe("PNG");
  });

  it("adds three blue spheres spaced apart with unique names", async () => {
    await turn("three blue spheres in a row");
    const current = await scene();
    const spheres = current.objects.filter((entry) => entry.name.startsWith("Sphere"));
    expect(spheres.map((entry) => entry.name).sort()).toEqual(["Sphere", "Sphere.001", "Sphere.002"]);
    const xs = spheres.map((entry) => entry.location[0]!).sort((a, b) => a - b);
    expect(xs[1]! - xs[0]!).toBeGreaterThan(2);
    expect(xs[2]! - xs[1]!).toBeGreaterThan(2);
    for (const sphere of spheres) expect(near(sphere.material?.baseColor, "blue"), sphere.material?.baseColor).toBe(true);
  });

  it("places a cone above the cube, then edits it by description", async () => {
    await turn("add a cone above the cube");
    let current = await scene();
    const cube = object(current, "Cube");
    const cone = object(current, "Cone");
    expect(cone.location[2]!).toBeGreaterThan(cube.location[2]! + 1.5);
    expect(Math.abs(cone.location[0]! - cube.location[0]!)).toBeLessThan(0.01);

    await turn("move the cone up by 2 and rotate it 45 degrees");
    current = await scene();
    expect(object(current, "Cone").location[2]).toBeCloseTo(cone.location[2]! + 2, 3);
    expect(object(current, "Cone").rotation[2]).toBeCloseTo(45, 3);

    await turn("make the cube green");
    expect(near(object(await scene(), "Cube").material?.baseColor, "green")).toBe(true);

    await turn("make the cone metallic and glossy");
    const material = object(await scene(), "Cone").material;
    expect(material?.metallic).toBeCloseTo(1, 3);
    expect(material?.roughness).toBeCloseTo(0.1, 3);

    await turn("make the cube twice as big");
    expect(object(await scene(), "Cube").scale).toEqual([2, 2, 2]);
  });

  it("renames, duplicates and deletes objects", async () => {
    await turn("rename the cube to Box");
    let current = await scene();
    expect(current.objects.some((entry) => entry.name === "Cube")).toBe(false);
    object(current, "Box");

    await turn("duplicate the cone");
    object(await scene(), "Cone.001");

    await turn("add a floor");
    const floor = object(await scene(), "Floor");
    expect(floor.scale[0]).toBeCloseTo(10, 3);

    await turn("delete the floor and the cone");
    current = await scene();
    expect(current.objects.map((entry) => entry.name)).not.toContain("Floor");
    expect(current.objects.map((entry) => entry.name)).not.toContain("Cone");
  });

  it("sets lights, camera, background, text and a monkey", async () => {
    await turn('add a sun, make the background black, look from above, add text "Hello" and add a monkey at 2, 0, 1');
    const current = await scene();
    expect(current.lights.some((light) => light.type === "sun")).toBe(true);
    expect(near(current.world.color, "black")).toBe(true);
    expect(current.camera!.location[2]!).toBeGreaterThan(8);
    expect(object(current, "Text").type).toBe("FONT");
    expect(object(current, "Suzanne").location).toEqual([2, 0, 1]);
  });

  it("renders with settings and exports in two formats", async () => {
    const render = await turn("render with workbench at 320x240");
    const result = render.toolCalls[0]!.result as { width: number; height: number; engine: string };
    expect([result.engine, result.width, result.height]).toEqual(["workbench", 320, 240]);
    const exported = await turn("export as glb and stl");
    expect(exported.artifacts.map((artifact) => artifact.kind)).toEqual(["export", "export"]);
    expect(exported.artifacts[0]!.url).toMatch(/\.glb$/);
  });

  it("describes the scene and refuses what it cannot read, changing nothing", async () => {
    const described = await turn("what's in the scene?");
    expect(described.reply).toMatch(/Box: cube/);
    const before = await scene();
    const refused = await turn("add a dragon and fly to the moon");
    expect(refused.toolCalls).toEqual([]);
    expect(refused.reply).toMatch(/I can:/);
    expect((await scene()).objects.length).toBe(before.objects.length);
  });

  it("keeps the conversation in the store", async () => {
    const messages = await store.listMessages("e2e");
    expect(messages.length).toBeGreaterThan(20);
    expect(messages[1]!.role).toBe("assistant");
  });
});

describe("LLM reasoner against real Blender", () => {
  it("makes a scripted model's calls on the worker and shows it the worker's errors", async () => {
    const model = await startScriptedOpenAiServer([
      { kind: "tool-calls", calls: [{ name: "update_object", arguments: { name: "NoSuchThing", color: "red" } }] },
      {
        kind: "tool-calls",
        calls: [
          { name: "add_object", arguments: { type: "torus", name: "LlmTorus", color: "#ff8800", location: [0, -3, 0] } },
          { name: "render_frame", arguments: { width: 64, height: 64, engine: "workbench" } },
        ],
      },
      { kind: "text", text: "Added an orange torus and rendered it." },
    ]);
    try {
      const llmAgent = createAgent({
        reasoner: createLlmReasoner({ provider: "openai-compatible", baseURL: model.baseURL, model: "scripted", maxRetries: 0 }),
        toolClient,
        store,
      });
      const result = await llmAgent.runTurn({ projectId: "e2e-llm", text: "add an orange torus and render it" });
      expect(result.status).toBe("completed");
      expect(result.reply).toBe("Added an orange torus and rendered it.");
      expect(result.toolCalls.map((call) => [call.name, call.error?.code])).toEqual([
        ["update_object", "object_not_found"],
        ["add_object", undefined],
        ["render_frame", undefined],
      ]);
      const feedback = (model.requests[1]!.body.messages as Array<{ role: string; content: unknown }>).find(
        (message) => message.role === "tool",
      );
      expect(String(feedback?.content)).toMatch(/^object_not_found: /);
      expect(near(object(await scene(), "LlmTorus").material?.baseColor, "#ff8800")).toBe(true);
      expect(result.artifacts.map((artifact) => artifact.mimeType)).toEqual(["image/png"]);
    } finally {
      await model.close();
    }
  });
});
