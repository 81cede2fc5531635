// The SQLite store: messages in order per project, context round trips, migrations applied once,
// and a project's state gone after deleteProject. Uses real SQLite files in a temp folder.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { emptyContext } from "./conversation-store.ts";
import { AGENT_MIGRATIONS, createSqliteStore, migrate } from "./sqlite-store.ts";

const folders: string[] = [];
function tempFile(): string {
  const folder = mkdtempSync(join(tmpdir(), "bod-store-"));
  folders.push(folder);
  return join(folder, "nested", "state.db");
}

afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe("createSqliteStore", () => {
  it("keeps each project's messages in order, with tool calls and artifacts", async () => {
    const store = createSqliteStore(tempFile());
    await store.appendMessage({ projectId: "a", turnId: "t1", role: "user", text: "add a cube", toolCalls: [], artifacts: [] });
    await store.appendMessage({
      projectId: "a",
      turnId: "t1",
      role: "assistant",
      text: "Added.",
      toolCalls: [{ id: "c1", name: "add_object", arguments: { type: "cube" }, result: { object: { name: "Cube" } }, durationMs: 12 }],
      artifacts: [{ kind: "render", mimeType: "image/png", url: "http://x/a.png", toolCallId: "c1" }],
    });
    await store.appendMessage({ projectId: "b", turnId: "t2", role: "user", text: "other project", toolCalls: [], artifacts: [] });
    const messages = await store.listMessages("a");
    expect(messages.map((message) => [message.role, message.text])).toEqual([
      ["user", "add a cube"],
      ["assistant", "Added."],
    ]);
    expect(messages[1]!.toolCalls[0]!.result).toEqual({ object: { name: "Cube" } });
    expect(messages[1]!.artifacts[0]!.url).toBe("http://x/a.png");
    expect(await store.listMessages("a", { limit: 1 })).toHaveLength(1);
    expect((await store.listMessages("a", { limit: 1 }))[0]!.text).toBe("Added.");
    expect(await store.listMessages("a", { beforeId: messages[1]!.id })).toHaveLength(1);
    await store.close();
  });

  it("round-trips the project context and survives reopening", async () => {
    const path = tempFile();
    const store = createSqliteStore(path);
    expect(await store.getContext("p")).toEqual(emptyContext());
    const artifacts = Array.from({ length: 120 }, (_, index) => ({ kind: "render", mimeType: "image/png", url: `http://x/${index}.png` }));
    await store.saveContext("p", {
      focus: ["Cube"],
      artifacts,
      settings: { reasoner: "planner" },
      sceneSeenAt: "2026-01-01T00:00:00.000Z",
    });
    await store.close();
    const reopened = createSqliteStore(path);
    const context = await reopened.getContext("p");
    expect(context.focus).toEqual(["Cube"]);
    expect(context.artifacts).toHaveLength(100);
    expect(context.artifacts[99]!.url).toBe("http://x/119.png");
    expect(context.settings).toEqual({ reasoner: "planner" });
    await reopened.close();
  });

  it("forgets a deleted project and nothing else", async () => {
    const store = createSqliteStore(":memory:");
    for (const projectId of ["a", "b"]) {
      await store.appendMessage({ projectId, turnId: "t", role: "user", text: "hi", toolCalls: [], artifacts: [] });
      await store.saveContext(projectId, { ...emptyContext(), focus: ["X"] });
    }
    await store.deleteProject("a");
    expect(await store.listMessages("a")).toEqual([]);
    expect((await store.getContext("a")).focus).toEqual([]);
    expect(await store.listMessages("b")).toHaveLength(1);
    await store.close();
  });
});

describe("migrate", () => {
  it("applies each set once and lets other parts of the product add their own tables", () => {
    const database = new DatabaseSync(":memory:");
    expect(migrate(database, "agent", AGENT_MIGRATIONS)).toEqual([1]);
    expect(migrate(database, "agent", AGENT_MIGRATIONS)).toEqual([]);
    const gateway = [{ version: 1, description: "users", sql: "CREATE TABLE users (id TEXT PRIMARY KEY)" }];
    expect(migrate(database, "gateway", gateway)).toEqual([1]);
    const rows = database.prepare("SELECT name, version FROM schema_migrations ORDER BY name").all();
    expect(rows).toEqual([
      { name: "agent", version: 1 },
      { name: "gateway", version: 1 },
    ]);
    database.close();
  });

  it("rolls back a failing migration and names it", () => {
    const database = new DatabaseSync(":memory:");
    const broken = [{ version: 1, description: "broken", sql: "CREATE TABLE ok (id INTEGER); THIS IS NOT SQL" }];
    expect(() => migrate(database, "x", broken)).toThrow(/Migration x 1 \(broken\) failed/);
    expect(database.prepare("SELECT count(*) AS n FROM schema_migrations").get()).toEqual({ n: 0 });
    database.close();
  });
});
