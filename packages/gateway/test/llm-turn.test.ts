// `bod serve` with an LLM instead of the offline planner, through the gateway: the model (a local
// OpenAI-compatible server answering from a script, the one thing faked here) asks for tools, real
// Blender runs them, and the turn streams as usual; a model that stalls fails the turn with a
// clear message instead of hanging it.
import { type ScriptedOpenAiServer, startScriptedOpenAiServer } from "@bod/agent/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiClient } from "./support/api-client.ts";
import { type ServeProcess, startServeProcess } from "./support/serve-process.ts";

let model: ScriptedOpenAiServer;
let serve: ServeProcess;
let api: ReturnType<typeof createApiClient>;

beforeAll(async () => {
  model = await startScriptedOpenAiServer();
  serve = await startServeProcess({
    env: { BOD_LLM_PROVIDER: "openai-compatible", BOD_LLM_MODEL: "scripted", BOD_LLM_BASE_URL: model.baseURL, BOD_LLM_TIMEOUT_MS: "3000" },
  });
  api = createApiClient(serve.url, serve.signInToken);
});

afterAll(async () => {
  await serve?.stop();
  await model?.close();
});

describe("an LLM turn through the gateway", () => {
  it("runs the model's tool calls in Blender and streams the turn", async () => {
    const { id } = await api.json<{ id: string }>("/api/projects", { method: "POST", body: JSON.stringify({ name: "LLM" }) });
    model.script.push(
      {
        kind: "tool-calls",
        calls: [
          { name: "add_object", arguments: { type: "cube", color: "red" } },
          { name: "render_frame", arguments: { engine: "workbench", width: 320, height: 180 } },
        ],
      },
      { kind: "text", text: "Here is your red cube." },
    );
    const events = await api.stream(id, "Add a red cube and render the scene");
    const start = events.find((event) => event.event === "turn-start")!;
    expect(String(start.data.reasoner)).not.toBe("planner");
    const turn = events.at(-1)!.data as {
      status: string;
      reply: string;
      toolCalls: Array<{ name: string; error?: unknown }>;
      artifacts: Array<{ kind: string }>;
    };
    expect(turn.status).toBe("completed");
    expect(turn.reply).toBe("Here is your red cube.");
    expect(turn.toolCalls.map((call) => [call.name, call.error])).toEqual([
      ["add_object", undefined],
      ["render_frame", undefined],
    ]);
    expect(turn.artifacts.map((artifact) => artifact.kind)).toEqual(["render"]);
    expect(model.requests.length).toBeGreaterThanOrEqual(2);
  });

  it("fails a turn whose model stalls, with a message, within its timeout", async () => {
    const { id } = await api.json<{ id: string }>("/api/projects", { method: "POST", body: JSON.stringify({ name: "Stalled" }) });
    model.script.push({ kind: "stall" });
    const startedAt = Date.now();
    const response = await api.fetch(`/api/projects/${id}/messages`, {
      method: "POST",
      headers: { accept: "application/json" },
      body: JSON.stringify({ text: "Add a blue sphere" }),
    });
    expect(response.status).toBe(200);
    const turn = (await response.json()) as { status: string; reply: string; toolCalls: unknown[]; error?: { code: string } };
    expect(Date.now() - startedAt).toBeLessThan(30_000);
    expect(turn.status).toBe("failed");
    expect(turn.error?.code).toMatch(/provider/);
    expect(turn.reply.length).toBeGreaterThan(10);
    expect(turn.toolCalls).toEqual([]);
    // The project takes the next message.
    model.script.push({ kind: "text", text: "Ready when you are." });
    const next = await api.json<{ status: string }>(`/api/projects/${id}/messages`, {
      method: "POST",
      headers: { accept: "application/json" },
      body: JSON.stringify({ text: "hello" }),
    });
    expect(next.status).toBe("completed");
  });
});
