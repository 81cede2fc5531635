// Unit tier: the files scene store passes the SceneStore contract on a temporary folder, and keeps
// the layout workers have always written (`scene/journal.jsonl`, `scene/snapshot.blend`,
// `scene/imports/`), torn last line included, so existing projects restore unchanged.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileSceneStore } from "./file-scene-store.ts";
import { describeSceneStoreContract } from "./scene-store-contract.ts";

describeSceneStoreContract("files", async () => {
  const root = await mkdtemp(join(tmpdir(), "bod-scene-store-"));
  const store = createFileSceneStore({ root });
  return {
    store,
    reopen: () => createFileSceneStore({ root }),
    async close() {
      await store.close();
      await rm(root, { recursive: true, force: true });
    },
  };
});

describe("files scene store on disk", () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "bod-scene-files-"));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("writes the journal as JSON lines, the snapshot and kept files under <project>/scene/", async () => {
    const store = createFileSceneStore({ root });
    const scene = await store.open("alpha");
    await scene.appendJournal({ seq: 1, command: "add_object", args: { type: "cube" }, at: "t" });
    await scene.appendJournal({ seq: 2, void: true });
    const local = join(root, "local.blend");
    await writeFile(local, "BLENDER");
    await scene.writeSnapshot(local);
    await scene.putFile("u1/scene.obj", local);
    await store.close();
    const folder = join(root, "alpha", "scene");
    expect(await readFile(join(folder, "journal.jsonl"), "utf8")).toBe(
      '{"seq":1,"command":"add_object","args":{"type":"cube"},"at":"t"}\n{"seq":2,"void":true}\n',
    );
    expect(await readFile(join(folder, "snapshot.blend"), "utf8")).toBe("BLENDER");
    expect(await readFile(join(folder, "imports", "u1", "scene.obj"), "utf8")).toBe("BLENDER");
    // No temporary file is left beside them.
    expect((await readdir(folder)).sort()).toEqual(["imports", "journal.jsonl", "snapshot.blend"]);
  });

  it("reads a project folder of its own (a worker's data dir), skipping a torn last line and appending on a fresh line", async () => {
    const dataDir = join(root, "data");
    await mkdir(join(dataDir, "scene"), { recursive: true });
    const whole = '{"seq":1,"command":"add_object","args":{"type":"cube","name":"Cube"},"at":"t"}';
    await writeFile(join(dataDir, "scene", "journal.jsonl"), `${whole}\n{"seq":2,"command":"upd`);
    const corrupt: [string, number][] = [];
    const store = createFileSceneStore({
      projectDirectory: () => dataDir,
      onCorruptLine: (projectId, lineNumber) => corrupt.push([projectId, lineNumber]),
    });
    const scene = await store.open("local");
    expect(await scene.readJournal()).toEqual([JSON.parse(whole)]);
    expect(corrupt).toEqual([["local", 2]]);
    await scene.appendJournal({ seq: 2, command: "delete_object", args: { name: "Cube" }, at: "t" });
    expect((await scene.readJournal()).map((line) => line.seq)).toEqual([1, 2]);
    // Truncation rewrites the file without the torn part.
    await scene.truncateJournal(1);
    expect(await readFile(join(dataDir, "scene", "journal.jsonl"), "utf8")).toBe(
      '{"seq":2,"command":"delete_object","args":{"name":"Cube"},"at":"t"}\n',
    );
    await scene.truncateJournal(2);
    expect(await readFile(join(dataDir, "scene", "journal.jsonl"), "utf8")).toBe("");
    await store.close();
  });

  it("fails an append it cannot write, and the next one that can lands on a line of its own", async () => {
    const store = createFileSceneStore({ root });
    const scene = await store.open("beta");
    // A folder where the journal file should be: every append fails.
    await mkdir(join(root, "beta", "scene", "journal.jsonl"), { recursive: true });
    await expect(scene.appendJournal({ seq: 1, command: "ping", args: {}, at: "t" })).rejects.toThrow();
    await rm(join(root, "beta", "scene", "journal.jsonl"), { recursive: true });
    await scene.appendJournal({ seq: 2, command: "ping", args: {}, at: "t" });
    expect((await scene.readJournal()).map((line) => line.seq)).toEqual([2]);
    await store.close();
  });

  it("needs a root or a project folder", () => {
    expect(() => createFileSceneStore({})).toThrow(/root/);
  });
});
