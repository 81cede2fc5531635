// The turn loop with the offline planner and an in-memory tool double: events in order, the
// scene read only when needed, tool errors shown to the reasoner, bounded steps, cancellation,
// and everything stored. The MCP and LLM paths have their own tests.
import { MAX_MESSAGE_CHARS } from "@bod/contracts";
import { describe, expect, it } from "vitest";
import { type AgentEvent, createAgent, needsPreview, PREVIEW_ARTIFACT_KIND, PREVIEW_CALL_ID } from "./agent.ts";
import { ReasonerError } from "./errors/reasoner-error.ts";
import { createPlannerReasoner } from "./planner/planner-reasoner.ts";
import type { Reasoner, ReasonerInput } from "./reasoner.ts";
import { createMemoryAgentStore } from "./testing/memory-agent-store.ts";
import { createRecordingToolClient } from "./testing/recording-tool-client.ts";

function setup(reasoner: Reasoner = createPlannerReasoner(), maxSteps?: number) {
  const tools = createRecordingToolClient();
  const store = createMemoryAgentStore();
  const agent = createAgent({ reasoner, toolClient: tools, store, ...(maxSteps ? { maxSteps } : {}) });
  return { tools, store, agent };
}

describe("createAgent with the offline planner", () => {
  it("adds a red cube and renders it, with events in order and the render as an artifact", async () => {
    const { agent, tools, store } = setup();
    const events: AgentEvent[] = [];
    const result = await agent.runTurn({
      projectId: "p",
      text: "Add a red cube and render the scene",
      onEvent: (event) => events.push(event),
    });
    expect(result.status).toBe("completed");
    expect(tools.calls.map((call) => call.name)).toEqual(["add_object", "render_frame"]);
    expect(tools.calls[0]!.arguments).toEqual({ type: "cube", name: "Cube", color: "red", location: [0, 0, 0] });
    expect(events.map((event) => event.type)).toEqual([
      "turn-start",
      "plan",
      "tool-call-start",
      "tool-call-end",
      "tool-call-start",
      "progress",
      "progress",
      "progress",
      "tool-call-end",
      "reply",
      "turn-end",
    ]);
    expect(result.artifacts).toEqual([
      expect.objectContaining({
        kind: "render",
        mimeType: "image/png",
        url: expect.stringMatching(/^http:\/\/worker\.test\/artifacts\/.+\.png$/),
      }),
    ]);
    expect(result.reply).toContain("Added a red cube named Cube");
    expect(result.reply).toContain(result.artifacts[0]!.url);
    expect(result.toolCalls.map((call) => [call.name, call.error])).toEqual([
      ["add_object", undefined],
      ["render_frame", undefined],
    ]);
    const messages = await store.listMessages("p");
    expect(messages.map((message) => message.role)).toEqual(["user", "assistant"]);
    expect(messages[1]!.artifacts).toHaveLength(1);
    const context = await store.getContext("p");
    expect(context.scene?.objects.map((object) => object.name)).toEqual(["Cube"]);
    expect(result.timings.totalMs).toBeGreaterThanOrEqual(result.timings.reasoningMs + result.timings.toolMs - 1);
    expect(events.at(-1)).toMatchObject({ type: "turn-end", status: "completed", timings: result.timings });
    expect(context.focus).toEqual(["Cube"]);
  });

  it("answers 'what can you do?' without opening a connection to any worker", async () => {
    const { createMcpToolClient } = await import("./tool-client.ts");
    // The MCP client's fetch, counted in-process: a worker that refuses every request.
    let requests = 0;
    const refusingFetch = async () => {
      requests++;
      return new Response(null, { status: 503 });
    };
    const toolClient = createMcpToolClient({
      url: "http://127.0.0.1:9/projects/{projectId}/mcp",
      fetch: refusingFetch,
      connectTimeoutMs: 2000,
    });
    const agent = createAgent({ reasoner: createPlannerReasoner(), toolClient, store: createMemoryAgentStore() });
    for (const text of ["what can you do?", "hello", "fly me to the moon"]) await agent.runTurn({ projectId: "p", text });
    expect(requests).toBe(0);
    expect(toolClient.openConnections()).toEqual([]);
    // A message that needs a tool does contact the server (which here refuses).
    const result = await agent.runTurn({ projectId: "p", text: "add a cube" });
    expect(requests).toBeGreaterThan(0);
    expect(result.toolCalls[0]!.error?.code).toBe("unreachable");
    expect(result.reply).toMatch(/Failed: Added a cube named Cube.*Could not connect/s);
    await toolClient.close();
  });

  it("answers 'what can you do?' without calling any tool", async () => {
    const { agent, tools } = setup();
    const events: string[] = [];
    const result = await agent.runTurn({ projectId: "p", text: "what can you do?", onEvent: (event) => events.push(event.type) });
    expect(tools.calls).toEqual([]);
    expect(events).toEqual(["turn-start", "reply", "turn-end"]);
    expect(result.reply).toMatch(/I can:/);
  });

  it("calls get_scene only when the message refers to existing objects", async () => {
    const { agent, tools } = setup();
    await agent.runTurn({ projectId: "p", text: "add a cube" });
    // Each turn that changed the scene ends with its preview.
    expect(tools.calls.map((call) => call.name)).toEqual(["add_object", "render_frame"]);
    await agent.runTurn({ projectId: "p", text: "make the cube blue and move it up by 2" });
    expect(tools.calls.map((call) => call.name)).toEqual([
      "add_object",
      "render_frame",
      "get_scene",
      "update_object",
      "update_object",
      "render_frame",
    ]);
    expect(tools.scene.objects[0]!.location).toEqual([0, 0, 2]);
    // "it" in the next message is the cube the last turn touched.
    await agent.runTurn({ projectId: "p", text: "make it metallic" });
    expect(tools.calls.at(-2)).toMatchObject({ name: "set_material", arguments: { name: "Cube", metallic: 1 } });
  });

  it("plans nothing for a message it cannot read", async () => {
    const { agent, tools } = setup();
    const result = await agent.runTurn({ projectId: "p", text: "add a cube and fly to the moon" });
    expect(tools.calls).toEqual([]);
    expect(result.reply).toMatch(/could not read "fly to the moon".*I can:/s);
  });

  it("reports a tool error, skips the rest of the step and says what was applied", async () => {
    const { agent, tools } = setup();
    tools.failNext("render_frame", "blender_unavailable", "Blender is not running; try again in a moment.");
    const result = await agent.runTurn({ projectId: "p", text: "add a cube, render the scene and export as glb" });
    expect(tools.calls.map((call) => call.name)).toEqual(["add_object", "render_frame"]);
    expect(result.toolCalls.map((call) => call.error?.code)).toEqual([undefined, "blender_unavailable", "skipped"]);
    expect(result.reply).toContain("Failed: Rendered the scene: Blender is not running");
    expect(result.reply).toContain("Not done (an earlier step failed): Exported the scene as GLB.");
    expect(result.reply).toContain("The steps before the failure were applied.");
  });
});

describe("the preview a turn ends with", () => {
  it("follows a change: a preview render, its events before the reply, its image recorded as a preview", async () => {
    const { agent, tools, store } = setup();
    const events: AgentEvent[] = [];
    const result = await agent.runTurn({ projectId: "p", text: "add a red cube", onEvent: (event) => events.push(event) });
    expect(result.status).toBe("completed");
    expect(tools.calls.map((call) => [call.name, call.arguments])).toEqual([
      ["add_object", expect.anything()],
      ["render_frame", { preset: "preview" }],
    ]);
    expect(events.map((event) => event.type)).toEqual([
      "turn-start",
      "plan",
      "tool-call-start",
      "tool-call-end",
      "tool-call-start",
      "progress",
      "progress",
      "progress",
      "tool-call-end",
      "reply",
      "turn-end",
    ]);
    const end = events.findLast((event) => event.type === "tool-call-end");
    expect(end).toMatchObject({ id: PREVIEW_CALL_ID, name: "render_frame", isError: false });
    expect(result.artifacts).toEqual([
      expect.objectContaining({ kind: PREVIEW_ARTIFACT_KIND, mimeType: "image/png", toolCallId: PREVIEW_CALL_ID }),
    ]);
    expect(result.toolCalls.at(-1)).toMatchObject({ id: PREVIEW_CALL_ID, name: "render_frame", arguments: { preset: "preview" } });
    const [, stored] = await store.listMessages("p");
    expect(stored?.artifacts.map((artifact) => artifact.kind)).toEqual([PREVIEW_ARTIFACT_KIND]);
  });

  it("is not made when nothing changed, the turn rendered, or the turn failed", async () => {
    const { agent, tools } = setup();
    await agent.runTurn({ projectId: "p", text: "what can you do?" });
    await agent.runTurn({ projectId: "p", text: "add a cube and render the scene" });
    expect(tools.calls.map((call) => call.name)).toEqual(["add_object", "render_frame"]);
    // The render the turn asked for failed: still no preview in its place.
    tools.failNext("render_frame", "blender_unavailable", "Blender is not running; try again in a moment.");
    await agent.runTurn({ projectId: "p", text: "add a sphere and render the scene" });
    expect(tools.calls.map((call) => call.name)).toEqual(["add_object", "render_frame", "add_object", "render_frame"]);

    const failing = scriptedReasoner(async (input) => {
      if (input.steps.length === 0) return { toolCalls: [{ id: "a", name: "add_object", arguments: { type: "cone" } }] };
      throw new ReasonerError("provider_unavailable", "The model did not answer.");
    });
    const failed = setup(failing);
    const result = await failed.agent.runTurn({ projectId: "p", text: "add a cone" });
    expect(result.status).toBe("failed");
    expect(failed.tools.calls.map((call) => call.name)).toEqual(["add_object"]);
  });

  it("is not made when the agent is told not to", async () => {
    const tools = createRecordingToolClient();
    const agent = createAgent({
      reasoner: createPlannerReasoner(),
      toolClient: tools,
      store: createMemoryAgentStore(),
      previewAfterChanges: false,
    });
    await agent.runTurn({ projectId: "p", text: "add a cube" });
    expect(tools.calls.map((call) => call.name)).toEqual(["add_object"]);
  });

  it("needsPreview: a change that succeeded, and no render asked for", () => {
    const call = (name: string, error?: string) => ({
      id: name,
      name,
      arguments: {},
      durationMs: 1,
      ...(error ? { error: { code: error, message: error } } : {}),
    });
    expect(needsPreview([call("add_object")])).toBe(true);
    expect(needsPreview([call("get_scene")])).toBe(false);
    expect(needsPreview([call("add_object", "object_not_found")])).toBe(false);
    expect(needsPreview([call("add_object"), call("render_frame")])).toBe(false);
    expect(needsPreview([call("add_object"), call("render_frame", "timeout")])).toBe(false);
    // A render that never ran because an earlier call of its step failed asked for nothing.
    expect(needsPreview([call("add_object"), call("update_object", "object_not_found"), call("render_frame", "skipped")])).toBe(true);
  });
});

/** A reasoner that plays a script, to drive the loop through cases the planner never produces. */
function scriptedReasoner(
  decide: (input: ReasonerInput, signal: AbortSignal) => ReturnType<Reasoner["decide"]>,
): Reasoner & { inputs: ReasonerInput[] } {
  const inputs: ReasonerInput[] = [];
  return {
    name: "scripted",
    inputs,
    decide(input, { signal }) {
      inputs.push(structuredClone(input));
      return decide(input, signal);
    },
  };
}

describe("createAgent loop", () => {
  it("shows invalid calls and tool errors to the reasoner so it can recover", async () => {
    const reasoner = scriptedReasoner(async (input) => {
      if (input.steps.length === 0) return { toolCalls: [{ id: "a", name: "add_object", arguments: { type: "pyramid" } }] };
      if (input.steps.length === 1) return { toolCalls: [{ id: "b", name: "update_object", arguments: { name: "Nope", color: "red" } }] };
      if (input.steps.length === 2) return { toolCalls: [{ id: "c", name: "add_object", arguments: { type: "cone" } }] };
      return { text: "Added a cone instead.", toolCalls: [] };
    });
    const { agent, tools } = setup(reasoner);
    const result = await agent.runTurn({ projectId: "p", text: "add a pyramid" });
    expect(result.status).toBe("completed");
    expect(result.reply).toBe("Added a cone instead.");
    // The invalid call never reached the worker; the unknown object did and came back as an error.
    expect(tools.calls.map((call) => call.name)).toEqual(["update_object", "add_object", "render_frame"]);
    const seen = reasoner.inputs[3]!.steps.map((step) => step.toolCalls[0]!.error?.code);
    expect(seen).toEqual(["invalid_arguments", "object_not_found", undefined]);
    expect(reasoner.inputs[1]!.steps[0]!.toolCalls[0]!.error?.message).toMatch(/type/);
  });

  it("stops after maxSteps and says what was applied", async () => {
    let counter = 0;
    const reasoner = scriptedReasoner(async () => ({
      toolCalls: [{ id: `s${counter}`, name: "add_object", arguments: { type: "cube", name: `C${counter++}` } }],
    }));
    const { agent, tools } = setup(reasoner, 3);
    const events: string[] = [];
    const result = await agent.runTurn({ projectId: "p", text: "loop forever", onEvent: (event) => events.push(event.type) });
    expect(result.status).toBe("step-limit");
    expect(tools.calls).toHaveLength(3);
    expect(result.reply).toMatch(/stopped after 3 steps.*add_object C0, add_object C1, add_object C2/);
    expect(events).toContain("error");
    expect(events.at(-1)).toBe("turn-end");
  });

  it("cancels a turn mid-call and says what was already applied", async () => {
    const reasoner = scriptedReasoner(async (input) =>
      input.steps.length === 0
        ? {
            toolCalls: [
              { id: "1", name: "add_object", arguments: { type: "cube" } },
              { id: "2", name: "render_frame", arguments: {} },
            ],
          }
        : { text: "done", toolCalls: [] },
    );
    const { agent, tools, store } = setup(reasoner);
    const controller = new AbortController();
    const result = await agent.runTurn({
      projectId: "p",
      text: "add a cube and render",
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === "tool-call-end" && event.name === "add_object") {
          tools.delayMs = 5_000;
          setTimeout(() => controller.abort(), 20);
        }
      },
    });
    expect(result.status).toBe("cancelled");
    expect(result.reply).toMatch(/^Cancelled\. Already applied to the scene: add_object cube\./);
    expect((await store.listMessages("p")).at(-1)!.text).toBe(result.reply);
  });

  it("turns a reasoner failure into a clear reply", async () => {
    const { ReasonerError } = await import("./errors/reasoner-error.ts");
    const reasoner = scriptedReasoner(async (input) => {
      if (input.steps.length === 0) return { toolCalls: [{ id: "1", name: "add_object", arguments: { type: "cube" } }] };
      throw new ReasonerError("provider_timeout", "The language model at http://llm did not start answering within 30 s.");
    });
    const { agent } = setup(reasoner);
    const result = await agent.runTurn({ projectId: "p", text: "add a cube" });
    expect(result.status).toBe("failed");
    expect(result.error?.code).toBe("provider_timeout");
    expect(result.reply).toBe(
      "The language model at http://llm did not start answering within 30 s. Already applied to the scene: add_object cube.",
    );
  });

  it("runs one turn at a time per project, and projects side by side", async () => {
    const log: string[] = [];
    const reasoner = scriptedReasoner(async (input) => {
      log.push(`start ${input.projectId} ${input.text}`);
      await new Promise((resolve) => setTimeout(resolve, 30));
      log.push(`end ${input.projectId} ${input.text}`);
      return { text: "ok", toolCalls: [] };
    });
    const { agent, store } = setup(reasoner);
    await Promise.all([
      agent.runTurn({ projectId: "a", text: "one" }),
      agent.runTurn({ projectId: "a", text: "two" }),
      agent.runTurn({ projectId: "b", text: "three" }),
    ]);
    expect(log.indexOf("end a one")).toBeLessThan(log.indexOf("start a two"));
    expect(log.indexOf("start b three")).toBeLessThan(log.indexOf("end a one"));
    expect((await store.listMessages("a")).map((message) => message.text)).toEqual(["one", "ok", "two", "ok"]);
  });

  it("cancels a queued turn before it starts", async () => {
    const reasoner = scriptedReasoner(async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { text: "ok", toolCalls: [] };
    });
    const { agent } = setup(reasoner);
    const controller = new AbortController();
    const first = agent.runTurn({ projectId: "a", text: "one" });
    const second = agent.runTurn({ projectId: "a", text: "two", signal: controller.signal });
    controller.abort();
    expect((await first).status).toBe("completed");
    expect((await second).status).toBe("cancelled");
    expect(reasoner.inputs.map((input) => input.text)).toEqual(["one"]);
  });

  it("refuses an empty or oversized message without asking the reasoner", async () => {
    const reasoner = scriptedReasoner(async () => ({ text: "ok", toolCalls: [] }));
    const { agent } = setup(reasoner);
    const empty = await agent.runTurn({ projectId: "p", text: "   " });
    expect([empty.status, empty.error?.code]).toEqual(["failed", "invalid_message"]);
    // The one limit in the contracts, the same the gateway's API enforces.
    const longest = await agent.runTurn({ projectId: "p", text: `add a cube ${"a".repeat(MAX_MESSAGE_CHARS - 11)}` });
    expect(longest.reply).not.toMatch(/too long/);
    const long = await agent.runTurn({ projectId: "p", text: "a".repeat(MAX_MESSAGE_CHARS + 1) });
    expect(long.reply).toMatch(/too long/);
    expect(reasoner.inputs.map((input) => input.text.length)).toEqual([MAX_MESSAGE_CHARS]);
  });

  it("says when a change may or may not have happened", async () => {
    const { ToolClientError } = await import("./errors/tool-client-error.ts");
    const reasoner = scriptedReasoner(async (input) =>
      input.steps.length === 0
        ? { toolCalls: [{ id: "1", name: "add_object", arguments: { type: "cube", name: "Slow" } }] }
        : { text: "done", toolCalls: [] },
    );
    const tools = createRecordingToolClient();
    tools.callTool = async () => {
      throw new ToolClientError("timeout", "add_object did not finish within 30 s without progress.", { maybeApplied: true });
    };
    const agent = createAgent({ reasoner, toolClient: tools, store: createMemoryAgentStore() });
    const result = await agent.runTurn({ projectId: "p", text: "add a cube" });
    expect(result.toolCalls[0]!.error?.code).toBe("timeout");
    const { describeApplied } = await import("./agent.ts");
    expect(describeApplied(result.toolCalls)).toBe(
      "Nothing in the scene was changed for sure. No answer came for add_object Slow; call get_scene (or ask what is in the scene) to see whether it took effect.",
    );
  });

  it("hands earlier messages to the reasoner", async () => {
    const reasoner = scriptedReasoner(async () => ({ text: "ok", toolCalls: [] }));
    const { agent } = setup(reasoner);
    await agent.runTurn({ projectId: "p", text: "first" });
    await agent.runTurn({ projectId: "p", text: "second" });
    expect(reasoner.inputs[1]!.history.map((message) => `${message.role}:${message.text}`)).toEqual(["user:first", "assistant:ok"]);
  });
});
