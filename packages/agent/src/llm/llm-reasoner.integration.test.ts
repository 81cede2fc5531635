// The LLM path end to end against a local OpenAI-compatible server that answers from a script:
// tool calls made and their results shown back, malformed and unknown calls reported to the
// model, tool errors it can recover from, and a slow, stalled, failing or absent provider
// turned into a clear reply without hanging.
import { afterEach, describe, expect, it } from "vitest";
import { createAgent } from "../agent.ts";
import { createMemoryAgentStore } from "../testing/memory-agent-store.ts";
import { createRecordingToolClient } from "../testing/recording-tool-client.ts";
import { type ScriptedOpenAiServer, type ScriptedReply, startScriptedOpenAiServer } from "../testing/scripted-openai-server.ts";
import { contractTools, createLanguageModel, createLlmReasoner, type LlmConfig } from "./llm-reasoner.ts";

const servers: ScriptedOpenAiServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function setup(script: ScriptedReply[], config: Partial<LlmConfig> = {}) {
  const server = await startScriptedOpenAiServer(script);
  servers.push(server);
  const reasoner = createLlmReasoner({
    provider: "openai-compatible",
    baseURL: server.baseURL,
    model: "scripted-model",
    apiKey: "test-key",
    firstChunkTimeoutMs: 1500,
    chunkTimeoutMs: 800,
    maxRetries: 0,
    ...config,
  });
  const tools = createRecordingToolClient();
  const store = createMemoryAgentStore();
  // These tests follow the model's own calls; the preview a turn ends with has its tests in agent.test.ts.
  const agent = createAgent({ reasoner, toolClient: tools, store, maxSteps: 6, previewAfterChanges: false });
  return { server, tools, store, agent };
}

/** The messages of the n-th request the model server received. */
function messagesOf(server: ScriptedOpenAiServer, index: number): Array<{ role: string; content?: unknown; tool_calls?: unknown }> {
  return server.requests[index]!.body.messages as Array<{ role: string; content?: unknown }>;
}

describe("LLM reasoner over an OpenAI-compatible endpoint", () => {
  it("makes the model's tool calls and shows it the results", async () => {
    const { server, tools, agent } = await setup([
      {
        kind: "tool-calls",
        calls: [
          { name: "add_object", arguments: { type: "cube", color: "red" } },
          { name: "render_frame", arguments: {} },
        ],
      },
      { kind: "text", text: "I added a red cube and rendered it." },
    ]);
    const events: string[] = [];
    const result = await agent.runTurn({
      projectId: "p",
      text: "Add a red cube and render the scene",
      onEvent: (event) => events.push(event.type),
    });
    expect(result.status).toBe("completed");
    expect(result.reply).toBe("I added a red cube and rendered it.");
    expect(tools.calls.map((call) => [call.name, call.arguments])).toEqual([
      ["add_object", { type: "cube", color: "red" }],
      ["render_frame", {}],
    ]);
    expect(result.artifacts).toHaveLength(1);
    expect(events).toContain("progress");
    // The first request offers every tool of the contracts, with the key as a bearer token.
    const first = server.requests[0]!;
    expect(first.headers.authorization).toBe("Bearer test-key");
    expect(first.body.model).toBe("scripted-model");
    const offered = (first.body.tools as Array<{ function: { name: string } }>).map((entry) => entry.function.name);
    expect(offered.sort()).toEqual(Object.keys(contractTools()).sort());
    // The contracts' portable schemas (vectors as items with three places, no strict mode), without
    // the Unicode-class patterns grammar-based servers cannot compile.
    const schemas = JSON.stringify(first.body.tools);
    expect(schemas).not.toContain("\\p{");
    expect(schemas).not.toMatch(/prefixItems|additionalItems|\$schema|"strict"/);
    expect(schemas).toContain('"enum":["cube","uv_sphere"');
    expect(schemas).toContain(
      '"location":{"type":"array","items":{"type":"number","minimum":-100000,"maximum":100000},"minItems":3,"maxItems":3',
    );
    // The second request carries the calls and their results.
    const second = messagesOf(server, 1);
    const toolMessages = second.filter((message) => message.role === "tool");
    expect(toolMessages).toHaveLength(2);
    expect(String(toolMessages[0]!.content)).toContain('"name":"Cube"');
    expect(String(toolMessages[1]!.content)).toContain("image/png");
  });

  it("answers 'what can you do?' without contacting a worker", async () => {
    const { tools, agent } = await setup([{ kind: "text", text: "I can add objects, change them, light, render and export the scene." }]);
    const result = await agent.runTurn({ projectId: "p", text: "what can you do?" });
    expect(result.reply).toMatch(/I can add objects/);
    expect(tools.calls).toEqual([]);
  });

  it("reports malformed and unknown tool calls to the model, which then recovers", async () => {
    const { server, tools, agent } = await setup([
      { kind: "tool-calls", calls: [{ name: "add_object", arguments: '{"type": "cube", ' }] },
      { kind: "tool-calls", calls: [{ name: "teleport", arguments: { where: "moon" } }] },
      { kind: "tool-calls", calls: [{ name: "add_object", arguments: { type: "cube" } }] },
      { kind: "text", text: "Added a cube." },
    ]);
    const result = await agent.runTurn({ projectId: "p", text: "add a cube" });
    expect(result.status).toBe("completed");
    expect(result.reply).toBe("Added a cube.");
    expect(tools.calls.map((call) => call.name)).toEqual(["add_object"]);
    expect(result.toolCalls.map((call) => call.error?.code)).toEqual(["invalid_arguments", "invalid_arguments", undefined]);
    const afterMalformed = messagesOf(server, 1).filter((message) => message.role === "tool");
    expect(String(afterMalformed[0]!.content)).toMatch(/not valid JSON/);
    const afterUnknown = messagesOf(server, 2).filter((message) => message.role === "tool");
    expect(String(afterUnknown.at(-1)!.content)).toMatch(/no tool named "teleport".*add_object/);
  });

  it("rejects arguments that break the contracts before they reach the worker", async () => {
    const { server, tools, agent } = await setup([
      { kind: "tool-calls", calls: [{ name: "render_frame", arguments: { width: 100000, engine: "povray" } }] },
      { kind: "tool-calls", calls: [{ name: "render_frame", arguments: { width: 1920, height: 1080 } }] },
      { kind: "text", text: "Rendered." },
    ]);
    const result = await agent.runTurn({ projectId: "p", text: "render it huge" });
    expect(result.reply).toBe("Rendered.");
    expect(tools.calls.map((call) => call.arguments)).toEqual([{ width: 1920, height: 1080 }]);
    const feedback = String(messagesOf(server, 1).find((message) => message.role === "tool")!.content);
    expect(feedback).toMatch(/width/);
    expect(feedback).toMatch(/engine/);
  });

  it("shows the model a tool's error so it can fix the call", async () => {
    const { server, tools, agent } = await setup([
      { kind: "tool-calls", calls: [{ name: "update_object", arguments: { name: "cube", color: "blue" } }] },
      { kind: "tool-calls", calls: [{ name: "get_scene", arguments: {} }] },
      { kind: "tool-calls", calls: [{ name: "update_object", arguments: { name: "Cube", color: "blue" } }] },
      { kind: "text", text: "The cube is blue now." },
    ]);
    await tools.callTool({ projectId: "p", name: "add_object", arguments: { type: "cube" } });
    const result = await agent.runTurn({ projectId: "p", text: "make the cube blue" });
    expect(result.reply).toBe("The cube is blue now.");
    expect(result.toolCalls.map((call) => call.error?.code)).toEqual(["object_not_found", undefined, undefined]);
    const feedback = String(messagesOf(server, 1).find((message) => message.role === "tool")!.content);
    expect(feedback).toMatch(/^object_not_found: No object named cube/);
  });

  it("gives up on a model that keeps sending malformed calls, saying nothing was changed", async () => {
    const { agent, tools } = await setup([
      { kind: "tool-calls", calls: [{ name: "add_object", arguments: "{broken" }] },
      { kind: "tool-calls", calls: [{ name: "add_object", arguments: "{still broken" }] },
      { kind: "tool-calls", calls: [{ name: "add_objekt", arguments: { type: "cube" } }] },
      { kind: "tool-calls", calls: [{ name: "add_object", arguments: { type: "cube" } }] },
    ]);
    const result = await agent.runTurn({ projectId: "p", text: "add a cube" });
    expect(result.status).toBe("failed");
    expect(result.error?.code).toBe("malformed_response");
    expect(result.reply).toMatch(/kept sending tool calls that are not valid.*Nothing in the scene was changed\./s);
    expect(tools.calls).toEqual([]);
  });

  it("cuts a stream that stalls mid-answer and says what was already applied", async () => {
    const { agent } = await setup([
      { kind: "tool-calls", calls: [{ name: "add_object", arguments: { type: "cube", name: "Cube" } }] },
      { kind: "stall", afterFirstChunk: true },
    ]);
    const startedAt = Date.now();
    const result = await agent.runTurn({ projectId: "p", text: "add a cube and describe it" });
    expect(Date.now() - startedAt).toBeLessThan(5000);
    expect(result.status).toBe("failed");
    expect(result.error?.code).toBe("provider_timeout");
    expect(result.reply).toMatch(/stopped answering mid-way within 0\.8 s\. Already applied to the scene: add_object Cube\./);
  });

  it("gives up on a model that never starts answering", async () => {
    const { agent } = await setup([{ kind: "stall" }]);
    const startedAt = Date.now();
    const result = await agent.runTurn({ projectId: "p", text: "add a cube" });
    expect(Date.now() - startedAt).toBeLessThan(5000);
    expect(result.error?.code).toBe("provider_timeout");
    expect(result.reply).toMatch(/did not start answering within 1\.5 s\. Nothing in the scene was changed\./);
  });

  it("retries a failing provider, then reports it unavailable", async () => {
    const { server, agent } = await setup(
      [
        { kind: "status", status: 503 },
        { kind: "status", status: 503 },
      ],
      { maxRetries: 1, firstChunkTimeoutMs: 10_000 },
    );
    const result = await agent.runTurn({ projectId: "p", text: "add a cube" });
    expect(server.requests).toHaveLength(2);
    expect(result.error?.code).toBe("provider_unavailable");
    expect(result.reply).toMatch(/is unavailable \(HTTP 503\)/);
  });

  it("names a rejected key and an unknown model", async () => {
    const rejected = await setup([{ kind: "status", status: 401, body: { error: { message: "bad key" } } }]);
    expect((await rejected.agent.runTurn({ projectId: "p", text: "hi" })).reply).toMatch(/refused the API key \(HTTP 401\)/);
    const missing = await setup([{ kind: "status", status: 404, body: { error: { message: "no such model" } } }]);
    expect((await missing.agent.runTurn({ projectId: "p", text: "hi" })).reply).toMatch(/does not know the model "scripted-model"/);
  });

  it("says when the provider cannot be reached", async () => {
    const { server, agent } = await setup([]);
    await server.close();
    servers.length = 0;
    const result = await agent.runTurn({ projectId: "p", text: "add a cube" });
    expect(result.error?.code).toBe("provider_unavailable");
    expect(result.reply).toMatch(/Could not reach the language model at http:\/\/127\.0\.0\.1:\d+\/v1/);
  });

  it("says when the answer cannot be read", async () => {
    const { agent } = await setup([{ kind: "garbage", body: "data: {this is not json\n\n" }]);
    const result = await agent.runTurn({ projectId: "p", text: "add a cube" });
    expect(result.error?.code).toBe("malformed_response");
    expect(result.reply).toMatch(/sent an answer I could not read/);
  });

  it("cancels a turn while the model is answering", async () => {
    const { agent } = await setup([{ kind: "stall", afterFirstChunk: true }], { chunkTimeoutMs: 60_000, firstChunkTimeoutMs: 60_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const startedAt = Date.now();
    const result = await agent.runTurn({ projectId: "p", text: "add a cube", signal: controller.signal });
    expect(Date.now() - startedAt).toBeLessThan(3000);
    expect(result.status).toBe("cancelled");
    expect(result.reply).toBe("Cancelled. Nothing in the scene was changed.");
  });

  it("hands the model the conversation so far", async () => {
    const { server, agent } = await setup([
      { kind: "text", text: "Hello!" },
      { kind: "text", text: "Still here." },
    ]);
    await agent.runTurn({ projectId: "p", text: "hi" });
    await agent.runTurn({ projectId: "p", text: "are you there?" });
    const roles = messagesOf(server, 1).map((message) => `${message.role}:${typeof message.content === "string" ? message.content : ""}`);
    expect(roles.slice(1)).toEqual(["user:hi", "assistant:Hello!", "user:are you there?"]);
    expect(String(messagesOf(server, 1)[0]!.content)).toMatch(/blender-on-demand/);
  });
});

describe("LLM reasoner over the Anthropic Messages API", () => {
  it("makes the model's tool calls and reads its reply", async () => {
    const server = await startScriptedOpenAiServer([
      { kind: "tool-calls", text: "Adding it.", calls: [{ name: "add_object", arguments: { type: "monkey", color: "gold" } }] },
      { kind: "text", text: "Added a golden monkey." },
    ]);
    servers.push(server);
    const reasoner = createLlmReasoner({
      provider: "anthropic",
      baseURL: server.baseURL,
      model: "claude-scripted",
      apiKey: "anthropic-key",
      maxRetries: 0,
    });
    const tools = createRecordingToolClient();
    const agent = createAgent({ reasoner, toolClient: tools, store: createMemoryAgentStore() });
    const result = await agent.runTurn({ projectId: "p", text: "add a golden monkey" });
    expect(result.reply).toBe("Added a golden monkey.");
    // The model's call, then the preview of the changed scene.
    expect(tools.calls.map((call) => [call.name, call.arguments])).toEqual([
      ["add_object", { type: "monkey", color: "gold" }],
      ["render_frame", { preset: "preview" }],
    ]);
    expect(server.requests[0]!.path).toBe("/v1/messages");
    expect(server.requests[0]!.headers["x-api-key"]).toBe("anthropic-key");
    const second = server.requests[1]!.body.messages as Array<{ role: string; content: Array<{ type: string; content?: unknown }> }>;
    expect(second.at(-1)!.content[0]!.type).toBe("tool_result");
  });
});

describe("createLanguageModel", () => {
  it("builds OpenAI-compatible and Anthropic models without network", () => {
    expect(createLanguageModel({ provider: "anthropic", model: "claude-sonnet-4-5", apiKey: "k" })).toMatchObject({
      modelId: "claude-sonnet-4-5",
    });
    expect(createLanguageModel({ provider: "openai-compatible", model: "llama3.1", baseURL: "http://127.0.0.1:11434/v1" })).toMatchObject({
      modelId: "llama3.1",
    });
    expect(() => createLanguageModel({ provider: "openai-compatible", model: "x" })).toThrow(/baseURL/);
  });
});
