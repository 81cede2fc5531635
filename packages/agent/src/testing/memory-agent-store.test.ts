// The in-memory AgentStore the agent's tests use behaves like the real ones where the agent
// looks: order, paging, context round trips and trimming.
import { describe, expect, it } from "vitest";
import { emptyContext } from "../store/conversation-store.ts";
import { createMemoryAgentStore } from "./memory-agent-store.ts";

describe("createMemoryAgentStore", () => {
  it("keeps messages in order per project and pages back", async () => {
    const store = createMemoryAgentStore();
    const first = await store.appendMessage({ projectId: "a", turnId: "t", role: "user", text: "one", toolCalls: [], artifacts: [] });
    await store.appendMessage({ projectId: "b", turnId: "t", role: "user", text: "other", toolCalls: [], artifacts: [] });
    const second = await store.appendMessage({ projectId: "a", turnId: "t", role: "assistant", text: "two", toolCalls: [], artifacts: [] });
    expect((await store.listMessages("a")).map((message) => message.text)).toEqual(["one", "two"]);
    expect((await store.listMessages("a", { limit: 1 })).map((message) => message.text)).toEqual(["two"]);
    expect((await store.listMessages("a", { beforeId: second.id })).map((message) => message.id)).toEqual([first.id]);
  });

  it("round-trips the context as JSON, keeping the newest 100 artifacts", async () => {
    const store = createMemoryAgentStore();
    expect(await store.getContext("p")).toEqual(emptyContext());
    const artifacts = Array.from({ length: 101 }, (_, index) => ({ kind: "render", mimeType: "image/png", url: `u${index}` }));
    await store.saveContext("p", { ...emptyContext(), focus: ["Cube"], artifacts });
    const context = await store.getContext("p");
    expect(context.focus).toEqual(["Cube"]);
    expect(context.artifacts.map((artifact) => artifact.url).slice(0, 1)).toEqual(["u1"]);
    context.focus.push("mutated");
    expect((await store.getContext("p")).focus).toEqual(["Cube"]);
  });
});
