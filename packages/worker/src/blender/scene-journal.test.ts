// Unit tier: the journal's write-ahead logic over the files scene store (its file format,
// durability and truncation, on a temporary directory), the idempotency keys it keeps, and the
// rules replay reads lines by.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFileSceneStore, type JournalLine } from "@bod/storage";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isMutatingCommand, resolveJournalArgs } from "./scene-engine.ts";
import {
  createSceneJournal,
  type JournalStorage,
  KEPT_KEYS,
  KEPT_KEYS_MAX_AGE_MS,
  parseJournal,
  replayableEntries,
  type SceneJournal,
} from "./scene-journal.ts";

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

  it("keeps a keyed call's key and result in the lines that commit it; they survive a reload, and a void forgets the key", async () => {
    const { journal, path, close } = await fileJournal();
    const idempotency = { key: "k-1", request: "digest-1" };
    const pending = journal.begin("add_object", { type: "cube" }, idempotency);
    await pending.written;
    // Written ahead with the key: the key is stored exactly when the change is.
    expect(JSON.parse((await readFile(path, "utf8")).trim())).toMatchObject({ seq: 1, key: "k-1", request: "digest-1" });
    expect(journal.recall("k-1")).toBeUndefined();
    const answer = { object: { name: "Cube" } };
    await journal.commit(pending, { type: "cube", name: "Cube" }, answer);
    expect(journal.recall("k-1")).toMatchObject({ key: "k-1", request: "digest-1", seq: 1, result: answer });
    // A keyed call whose arguments Blender left as they were still gets its result line.
    const same = journal.begin("set_world", { strength: 2 }, { key: "k-2", request: "digest-2" });
    await journal.commit(same, same.entry.args, { world: { strength: 2 } });
    const failed = journal.begin("delete_object", { name: "Nope" }, { key: "k-3", request: "digest-3" });
    await journal.abandon(failed);
    expect(journal.recall("k-3")).toBeUndefined();
    await close();

    const lines = (await readFile(path, "utf8")).trim().split("\n");
    expect(lines).toHaveLength(6);
    expect(JSON.parse(lines[1] as string)).toMatchObject({ seq: 1, key: "k-1", result: answer, args: { name: "Cube" } });
    // parseJournal (replay) keeps key, digest and result.
    expect(parseJournal(lines.join("\n")).map((entry) => [entry.seq, entry.key, entry.result])).toEqual([
      [1, "k-1", answer],
      [2, "k-2", { world: { strength: 2 } }],
    ]);
    const reopened = await fileJournal();
    expect(reopened.journal.recall("k-1")?.result).toEqual(answer);
    expect(reopened.journal.recall("k-2")?.request).toBe("digest-2");
    expect(reopened.journal.recall("k-3")).toBeUndefined();
    await reopened.close();
  });

  it("keeps a key whose result line never landed once a replay gives its result", async () => {
    const { journal, path, close } = await fileJournal();
    const pending = journal.begin("add_object", { type: "cube" }, { key: "k-ahead", request: "d" });
    await pending.written;
    // The worker dies here: only the line written ahead is stored.
    await close();
    const reopened = await fileJournal();
    const [entry] = reopened.journal.entries;
    expect(entry).toMatchObject({ seq: 1, key: "k-ahead", request: "d" });
    expect(reopened.journal.recall("k-ahead")).toBeUndefined();
    reopened.journal.rememberReplayed(entry!, { object: { name: "Cube" } });
    expect(reopened.journal.recall("k-ahead")?.result).toEqual({ object: { name: "Cube" } });
    // A later replay does not replace what is kept.
    reopened.journal.rememberReplayed(entry!, { object: { name: "Other" } });
    expect(reopened.journal.recall("k-ahead")?.result).toEqual({ object: { name: "Cube" } });
    await reopened.close();
    expect(path).toMatch(/journal\.jsonl$/);
  });

  it("keeps the keys of entries a snapshot folds in, bounded, and adopts what a snapshot kept", async () => {
    const { journal, path, close } = await fileJournal();
    for (let index = 1; index <= 3; index++) {
      const pending = journal.begin("add_object", { type: "cube", name: `C${index}` }, { key: `k-${index}`, request: `d-${index}` });
      await journal.commit(pending, pending.entry.args, { object: { name: `C${index}` } });
    }
    const kept = journal.keysToKeep(2);
    expect(kept.map((value) => value.key)).toEqual(["k-1", "k-2"]);
    await journal.truncate(2);
    expect(parseJournal(await readFile(path, "utf8")).map((entry) => entry.seq)).toEqual([3]);
    // Truncated from the journal, still known: the snapshot holds them.
    expect(journal.recall("k-1")?.result).toEqual({ object: { name: "C1" } });
    await close();

    // A new journal knows only the lines left, until the snapshot's keys are adopted (as a restore does).
    const reopened = await fileJournal();
    expect(reopened.journal.recall("k-1")).toBeUndefined();
    expect(reopened.journal.recall("k-3")?.seq).toBe(3);
    reopened.journal.adoptKeys(JSON.parse(JSON.stringify(kept)));
    reopened.journal.adoptKeys([{ key: "malformed" }, "nope", null]);
    reopened.journal.adoptKeys("not a list");
    expect(reopened.journal.recall("k-1")?.result).toEqual({ object: { name: "C1" } });
    expect(reopened.journal.recall("k-2")?.request).toBe("d-2");
    expect(reopened.journal.recall("malformed")).toBeUndefined();
    await reopened.close();

    // The bound: the KEPT_KEYS most recent, none older than KEPT_KEYS_MAX_AGE_MS.
    const bounded = createSceneJournal();
    const old = new Date(Date.now() - KEPT_KEYS_MAX_AGE_MS - 60_000).toISOString();
    bounded.adoptKeys([
      { key: "stale", request: "d", seq: 1, at: old, result: {} },
      ...Array.from({ length: KEPT_KEYS + 1 }, (_, index) => ({
        key: `k-${index}`,
        request: "d",
        seq: index + 2,
        at: new Date().toISOString(),
        result: {},
      })),
    ]);
    const toKeep = bounded.keysToKeep(KEPT_KEYS + 10);
    expect(toKeep).toHaveLength(KEPT_KEYS);
    expect(toKeep[0]?.key).toBe("k-1");
    expect(toKeep.some((value) => value.key === "stale" || value.key === "k-0")).toBe(false);
    await bounded.truncate(KEPT_KEYS + 10);
    expect(bounded.recall("stale")).toBeUndefined();
    expect(bounded.recall("k-0")).toBeUndefined();
    expect(bounded.recall(`k-${KEPT_KEYS}`)).toBeDefined();
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
