// Unit tier: the journal's file format, durability and truncation, on a temporary directory.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isMutatingCommand, resolveJournalArgs } from "./scene-engine.ts";
import { createSceneJournal, parseJournal } from "./scene-journal.ts";

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "bod-journal-"));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("scene journal", () => {
  it("appends lines that a new journal reads back, numbering on from the last", async () => {
    const path = join(directory, "scene", "journal.jsonl");
    const journal = createSceneJournal({ path });
    await journal.load();
    await journal.append("add_object", { type: "cube", name: "Cube" });
    await journal.append("update_object", { name: "Cube", location: [1, 2, 3] });
    await journal.close();
    const lines = (await readFile(path, "utf8")).trim().split("\n");
    expect(lines).toHaveLength(2);

    const reopened = createSceneJournal({ path });
    await reopened.load();
    expect(reopened.entries.map((entry) => [entry.seq, entry.command])).toEqual([
      [1, "add_object"],
      [2, "update_object"],
    ]);
    expect((await reopened.append("delete_object", { name: "Cube" })).seq).toBe(3);
    await reopened.close();
  });

  it("drops a torn last line and keeps appending on a fresh line", async () => {
    const path = join(directory, "journal.jsonl");
    const whole = JSON.stringify({ seq: 1, command: "add_object", args: { type: "cube", name: "Cube" }, at: "t" });
    await writeFile(path, `${whole}\n{"seq":2,"command":"upd`);
    const corrupt: number[] = [];
    const journal = createSceneJournal({ path, onCorruptLine: (lineNumber) => corrupt.push(lineNumber) });
    await journal.load();
    expect(journal.entries).toHaveLength(1);
    expect(corrupt).toEqual([2]);
    await journal.append("delete_object", { name: "Cube" });
    await journal.close();
    const entries = parseJournal(await readFile(path, "utf8"));
    expect(entries.map((entry) => entry.seq)).toEqual([1, 2]);
  });

  it("truncates what a snapshot holds and never reuses a number", async () => {
    const path = join(directory, "journal.jsonl");
    const journal = createSceneJournal({ path });
    await journal.load();
    for (let index = 0; index < 3; index++) await journal.append("add_object", { type: "cube", name: `C${index}` });
    await journal.truncate(2);
    expect(journal.entries.map((entry) => entry.seq)).toEqual([3]);
    await journal.truncate(3);
    expect(journal.entries).toEqual([]);
    expect(await readFile(path, "utf8")).toBe("");
    expect((await journal.append("add_object", { type: "cube", name: "D" })).seq).toBe(4);
    await journal.close();

    const fresh = createSceneJournal({ path: join(directory, "other.jsonl") });
    await fresh.load();
    fresh.advanceTo(10);
    expect((await fresh.append("ping", {})).seq).toBe(11);
    await fresh.close();
  });

  it("writes an entry ahead of its outcome; a commit keeps it, a rewrite replaces it, a void removes it", async () => {
    const path = join(directory, "journal.jsonl");
    const journal = createSceneJournal({ path });
    await journal.load();
    const kept = journal.begin("update_object", { name: "Cube", location: [1, 2, 3] });
    // Not replayable until the call's outcome is known.
    expect(journal.entries).toEqual([]);
    await kept.written;
    expect(parseJournal(await readFile(path, "utf8")).map((entry) => entry.seq)).toEqual([1]);
    await journal.commit(kept, kept.entry.args);

    const renamed = journal.begin("add_object", { type: "cube" });
    await journal.commit(renamed, { type: "cube", name: "Cube.001" });
    const failed = journal.begin("delete_object", { name: "Nope" });
    await journal.abandon(failed);
    expect(journal.entries.map((entry) => [entry.seq, entry.args])).toEqual([
      [1, { name: "Cube", location: [1, 2, 3] }],
      [2, { type: "cube", name: "Cube.001" }],
    ]);
    await journal.close();

    const text = await readFile(path, "utf8");
    // One line for the kept call, two for the rewritten one, two for the failed one.
    expect(text.trim().split("\n")).toHaveLength(5);
    expect(text.trim().split("\n").at(-1)).toBe('{"seq":3,"void":true}');
    const reopened = createSceneJournal({ path });
    await reopened.load();
    expect(reopened.entries.map((entry) => [entry.seq, entry.args])).toEqual([
      [1, { name: "Cube", location: [1, 2, 3] }],
      [2, { type: "cube", name: "Cube.001" }],
    ]);
    // The failed call's number is not handed out again.
    expect((await reopened.append("ping", {})).seq).toBe(4);
    await reopened.close();
  });

  it("fails a commit whose entry could not be written, and still voids it on abandon", async () => {
    // A folder where the journal file should be: every write fails.
    const path = join(directory, "journal.jsonl");
    await mkdir(path);
    const journal = createSceneJournal({ path });
    const pending = journal.begin("add_object", { type: "cube", name: "A" });
    await expect(journal.commit(pending)).rejects.toThrow();
    expect(journal.entries).toEqual([]);
    await expect(journal.abandon(journal.begin("add_object", { type: "cube", name: "B" }))).rejects.toThrow();
  });

  it("lives in memory without a path", async () => {
    const journal = createSceneJournal();
    await journal.load();
    await journal.append("add_object", { type: "cube", name: "Cube" });
    expect(journal.entries).toHaveLength(1);
    await journal.truncate(1);
    expect(journal.entries).toHaveLength(0);
  });
});

describe("what is journaled", () => {
  it("journals the tools that change the scene, and reset_scene", () => {
    expect(isMutatingCommand("add_object")).toBe(true);
    expect(isMutatingCommand("import_model")).toBe(true);
    expect(isMutatingCommand("reset_scene")).toBe(true);
    expect(isMutatingCommand("get_scene")).toBe(false);
    expect(isMutatingCommand("render_frame")).toBe(false);
    expect(isMutatingCommand("export_scene")).toBe(false);
    expect(isMutatingCommand("ping")).toBe(false);
  });

  it("writes the names Blender chose into the journaled arguments", () => {
    expect(resolveJournalArgs("add_object", { type: "cube" }, { object: { name: "Cube.001" } })).toEqual({
      type: "cube",
      name: "Cube.001",
    });
    expect(resolveJournalArgs("duplicate_object", { name: "Cube" }, { object: { name: "Cube.002" } })).toEqual({
      name: "Cube",
      newName: "Cube.002",
    });
    expect(resolveJournalArgs("add_light", { type: "sun" }, { light: { name: "Sun" } })).toEqual({ type: "sun", name: "Sun" });
    expect(resolveJournalArgs("update_object", { name: "Cube", translate: [1, 0, 0] }, {})).toEqual({ name: "Cube", translate: [1, 0, 0] });
  });

  it("hands back the very arguments when Blender kept the name asked for, so nothing is rewritten", () => {
    const args = { type: "cube", name: "Box" };
    expect(resolveJournalArgs("add_object", args, { object: { name: "Box" } })).toBe(args);
    const light = { type: "sun", name: "Key" };
    expect(resolveJournalArgs("add_light", light, { light: { name: "Key" } })).toBe(light);
    expect(resolveJournalArgs("add_object", args, { object: { name: "Box.001" } })).toEqual({ type: "cube", name: "Box.001" });
  });
});
