// The adapter over the local activator: overlapping lookups share one listing, release drains
// before deleting the folder, and artifacts are read from the project's folder.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createRuntimeAdapter } from "./runtime-adapter.ts";

describe("runtime adapter", () => {
  it("shares one listing between overlapping lookups, drains before deleting, reads artifacts", async () => {
    const root = mkdtempSync(join(tmpdir(), "bod-adapter-"));
    const home = join(root, "projects", "p-1");
    const artifactId = `${"a".repeat(32)}.png`;
    mkdirSync(join(home, "artifacts"), { recursive: true });
    writeFileSync(join(home, "artifacts", artifactId), "png");
    writeFileSync(
      join(home, "artifacts", `${artifactId}.json`),
      JSON.stringify({ id: artifactId, kind: "render", mimeType: "image/png", bytes: 3, createdAt: new Date().toISOString() }),
    );
    const calls: string[] = [];
    const adapter = createRuntimeAdapter({
      async list() {
        calls.push("list");
        await new Promise((resolve) => setTimeout(resolve, 10));
        return [{ projectId: "p-1", state: "ready", since: "", lastActivity: "", inFlight: 0 }];
      },
      async drain(projectId) {
        calls.push(`drain ${projectId} (folder there: ${existsSync(home)})`);
      },
      projectDirOf: (projectId) => join(root, "projects", projectId),
    });
    const [first, second, missing] = await Promise.all([adapter.instance("p-1"), adapter.instance("p-1"), adapter.instance("p-2")]);
    expect(first?.state).toBe("ready");
    expect(second).toEqual(first);
    expect(missing).toBeUndefined();
    expect(calls).toEqual(["list"]);

    expect(await adapter.get("p-1", artifactId)).toMatchObject({ mimeType: "image/png", kind: "render", bytes: 3 });
    expect(await adapter.get("p-1", "../../etc/passwd")).toBeUndefined();
    expect(await adapter.get("p-2", artifactId)).toBeUndefined();

    await adapter.release("p-1");
    expect(calls.at(-1)).toBe("drain p-1 (folder there: true)");
    expect(existsSync(home)).toBe(false);
    rmSync(root, { recursive: true, force: true });
  });
});
