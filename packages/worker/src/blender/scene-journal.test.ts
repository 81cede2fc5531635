// Unit tier: the journal's write-ahead logic over the files scene store (its file format,
// durability and truncation, on a temporary directory), and the rules replay reads lines by.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFileSceneStore, type JournalLine } from "@bod/storage";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isMutatingCommand, resolveJournalArgs } from "./scene-engine.ts";
import { createSceneJournal, type JournalStorage, parseJournal, replayableEntries, type SceneJournal } from "./scene-journal.ts";

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "bod-journal-"));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** A journal over the files store in `folder` (`folder/scene/journal.jsonl`), loaded. */
async function fileJournal(
  folder = directory,
  onCorruptLine?: (lineNumber: number) => void,
): Promise<{ journal: SceneJournal; path: string; close(): Promise<void> }> {
  const store = createFileSceneStore({
    projectDirectory: () => folder,
    ...(onCorruptLine ? { onCorruptLine: (_: string, lineNumber: number) => onCorruptLine(lineNumber) } : {}),
  });
  const scene = await store.open("local");
  const journal = createSceneJournal({ storage: scene });
  await journal.load();
  return {
    journal,
    path: join(folder, "scene", "journal.jsonl"),
    async close() {
      await journal.close();
      await store.close();
    },
  };
}

describe("scene journal", () => {
  it("appends lines that a new journal reads back, numbering on from the last", async () => {
    const { journal, path, close } = await fileJournal();
    await journal.append("add_object", { type: "cube", name: "Cube" });
    await journal.append("update_object", { name: "Cube", location: [1, 2, 3] });
    await close();
    const lines = (await readFile(path, "utf8")).trim().split("\n");
    expect(lines).toHaveLength(2);

    const reopened = await fileJournal();
    expect(reopened.journal.entries.map((entry) => [entry.seq, entry.command])).toEqual([
      [1, "add_object"],
      [2, "update_object"],
    ]);
    expect((await reopened.journal.append("delete_object", { name: "Cube" })).seq).toBe(3);
    await reopened.close();
  });

  it("drops a torn last line and keeps appending on a fresh line", async () => {
    const path = join(directory, "scene", "journal.jsonl");
    await mkdir(join(directory, "scene"));
    const whole = JSON.stringify({ seq: 1, command: "add_object", args: { type: "cube", name: "Cube" }, at: "t" });
    await writeFile(path, `${whole}\n{"seq":2,"command":"upd`);
    const corrupt: number[] = [];
    const { journal, close } = await fileJournal(directory, (lineNumber) => corrupt.push(lineNumber));
    expect(journal.entries).toHaveLength(1);
    expect(corrupt).toEqual([2]);
    await journal.append("delete_object", { name: "Cube" });
    await close();
    const entries = parseJournal(await readFile(path, "utf8"));
    expect(entries.map((entry) => entry.seq)).toEqual([1, 2]);
  });

  it("truncates what a snapshot holds and never reuses a number", async () => {
    const { journal, path, close } = await fileJournal();
    for (let index = 0; index < 3; index++) await journal.append("add_object", { type: "cube", name: `C${index}` });
    await journal.truncate(2);
    expect(journal.entries.map((entry) => entry.seq)).toEqual([3]);
    expect(parseJournal(await readFile(path, "utf8")).map((entry) => entry.seq)).toEqual([3]);
    await journal.truncate(3);
    expect(journal.entries).toEqual([]);
    expect(await readFile(path, "utf8")).toBe("");
    expect((await journal.append("add_object", { type: "cube", name: "D" })).seq).toBe(4);
    await close();

    const fresh = await fileJournal(join(directory, "other"));
    fresh.journal.advanceTo(10);
    expect((await fresh.journal.append("ping", {})).seq).toBe(11);
    await fresh.close();
  });

  it("writes an entry ahead of its outcome; a commit keeps it, a rewrite replaces it, a void removes it", async () => {
    const { journal, path, close } = await fileJournal();
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
    await close();

    const text = await readFile(path, "utf8");
    // One line for the kept call, two for the rewritten one, two for the failed one.
    expect(text.trim().split("\n")).toHaveLength(5);
    expect(text.trim().split("\n").at(-1)).toBe('{"seq":3,"void":true}');
    const reopened = await fileJournal();
    expect(reopened.journal.entries.map((entry) => [entry.seq, entry.args])).toEqual([
      [1, { name: "Cube", location: [1, 2, 3] }],
      [2, { type: "cube", name: "Cube.001" }],
    ]);
    // The failed call's number is not handed out again.
    expect((await reopened.journal.append("ping", {})).seq).toBe(4);
    await reopened.close();
  });

  it("fails a commit whose entry could not be written, and voids it ahead of the next line once the store works", async () => {
    const { journal, path, close } = await fileJournal();
    // A folder where the journal file should be: every write fails.
    await mkdir(path, { recursive: true });
    const pending = journal.begin("add_object", { type: "cube", name: "A" });
    await expect(journal.commit(pending)).rejects.toThrow();
    expect(journal.entries).toEqual([]);
    await expect(journal.abandon(journal.begin("add_object", { type: "cube", name: "B" }))).rejects.toThrow();
    await rm(path, { recursive: true });
    await journal.append("add_object", { type: "cube", name: "C" });
    await close();
    expect(
      (await readFile(path, "utf8"))
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line)),
    ).toEqual([{ seq: 1, void: true }, { seq: 2, void: true }, expect.objectContaining({ seq: 3, args: { type: "cube", name: "C" } })]);
  });

  it("never replays an entry whose write failed though the store kept it (a write that timed out and landed)", async () => {
    const lines: JournalLine[] = [];
    let failNext = false;
    const storage: JournalStorage = {
      async appendJournal(line) {
        lines.push(line);
        if (failNext) {
          failNext = false;
          throw new Error("no answer within 5000 ms");
        }
      },
      async readJournal() {
        return [...lines];
      },
      async truncateJournal(uptoSeq) {
        lines.splice(0, lines.length, ...lines.filter((line) => line.seq > uptoSeq));
      },
    };
    const journal = createSceneJournal({ storage });
    await journal.append("add_object", { type: "cube", name: "A" });
    failNext = true;
    await expect(journal.append("add_object", { type: "cube", name: "Lost" })).rejects.toThrow(/no answer/);
    await journal.append("add_object", { type: "cube", name: "C" });
    expect(lines.map((line) => [line.seq, line.void ?? (line.args as { name: string }).name])).toEqual([
      [1, "A"],
      [2, "Lost"],
      [2, true],
      [3, "C"],
    ]);
    const restored = createSceneJournal({ storage });
    await restored.load();
    expect(restored.entries.map((entry) => entry.args.name)).toEqual(["A", "C"]);
    // A truncation covering an owed number settles it: nothing is written for it afterwards.
    failNext = true;
    await expect(journal.append("ping", {})).rejects.toThrow();
    await journal.truncate(4);
    await journal.append("ping", {});
    expect(lines.map((line) => line.seq)).toEqual([5]);
  });

  it("lives in memory without storage", async () => {
    const journal = createSceneJournal();
    await journal.load();
    await journal.append("add_object", { type: "cube", name: "Cube" });
    expect(journal.entries).toHaveLength(1);
    await journal.truncate(1);
    expect(journal.entries).toHaveLength(0);
  });
});

describe("replaying journal lines", () => {
  it("takes the last line of a number, drops voided numbers for good, and orders by number", () => {
    const entry = (seq: number, name: string) => ({ seq, command: "add_object", args: { name }, at: "t" });
    const unreadable: number[] = [];
    const read = replayableEntries(
      [entry(2, "B"), entry(1, "A"), entry(1, "A.001"), { seq: 3, void: true }, entry(3, "late"), entry(4, "D"), { seq: 5, nothing: 1 }],
      (index) => unreadable.push(index),
    );
    expect(read.entries.map((kept) => [kept.seq, kept.args.name])).toEqual([
      [1, "A.001"],
      [2, "B"],
      [4, "D"],
    ]);
    expect(read.highestSeq).toBe(4);
    expect(unreadable).toEqual([6]);
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
