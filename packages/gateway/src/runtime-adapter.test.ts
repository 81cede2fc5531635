// The adapter over the local activator: overlapping lookups share one listing, and release drains
// before it deletes the project's artifacts (through the store) and its folder.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createProjectArtifactStore } from "@bod/runtime";
import { describe, expect, it } from "vitest";
import { createRuntimeAdapter } from "./runtime-adapter.ts";

describe("runtime adapter", () => {
  it("shares one listing between overlapping lookups, drains before deleting artifacts and folder", async () => {
    const root = mkdtempSync(join(tmpdir(), "bod-adapter-"));
    const projectDirOf = (projectId: string) => join(root, "projects", projectId);
    const home = projectDirOf("p-1");
    mkdirSync(join(home, "scene"), { recursive: true });
    writeFileSync(join(home, "scene", "journal.jsonl"), "");
    const store = createProjectArtifactStore(projectDirOf);
    const kept = await store.put({ projectId: "p-2", kind: "render", extension: "png", mimeType: "image/png", body: Buffer.from("png") });
    const calls: string[] = [];
    const adapter = createRuntimeAdapter(
      {
        async list() {
          calls.push("list");
          await new Promise((resolve) => setTimeout(resolve, 10));
          return [{ projectId: "p-1", state: "ready", since: "", lastActivity: "", inFlight: 0 }];
        },
        async drain(projectId) {
          calls.push(`drain ${projectId} (folder there: ${existsSync(home)})`);
          await store.put({ projectId, kind: "render", extension: "png", mimeType: "image/png", body: Buffer.from("saved on drain") });
        },
        projectDirOf,
      },
      {
        async deleteProject(projectId) {
          calls.push(`delete artifacts of ${projectId} (${(await store.list(projectId)).length})`);
          await store.deleteProject(projectId);
        },
      },
    );
    const [first, second, missing] = await Promise.all([adapter.instance("p-1"), adapter.instance("p-1"), adapter.instance("p-2")]);
    expect(first?.state).toBe("ready");
    expect(second).toEqual(first);
    expect(missing).toBeUndefined();
    expect(calls).toEqual(["list"]);

    await adapter.release("p-1");
    expect(calls.slice(1)).toEqual(["drain p-1 (folder there: true)", "delete artifacts of p-1 (1)"]);
    expect(existsSync(home)).toBe(false);
    expect(await store.list("p-1")).toEqual([]);
    expect(await store.head("p-2", kept.id)).toEqual(kept);
    rmSync(root, { recursive: true, force: true });
  });
});
