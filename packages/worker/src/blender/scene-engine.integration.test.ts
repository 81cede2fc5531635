// Unit tier: the scene engine's durability rules against a stand-in Blender (testing/fake-blender.ts)
// that reports which commands each process received: what is journaled, what a restarted Blender
// is sent to restore the scene, when snapshots fold the journal, and cancellation while waiting.
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFileSceneStore } from "@bod/storage";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSceneEngine, type SceneEngine } from "./scene-engine.ts";
import { type JournalEntry, parseJournal } from "./scene-journal.ts";
import { failure, fakeBlenderSpawn } from "./testing/test-support.ts";

const logger = pino({ level: "silent" });
const fakeSpawn = fakeBlenderSpawn();

let dataDir: string;
let engine: SceneEngine | undefined;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "bod-engine-unit-"));
});
afterEach(async () => {
  await engine?.stop();
  engine = undefined;
  await rm(dataDir, { recursive: true, force: true });
});

function createEngine(snapshotEvery = 50): SceneEngine {
  engine = createSceneEngine({ logger, dataDir, spawn: fakeSpawn, snapshotEvery, forceKillAfterMs: 300 });
  return engine;
}

async function received(target: SceneEngine): Promise<string[]> {
  const { received } = (await target.call("ping", {})) as { received: string[] };
  return received.slice(0, -1);
}

async function journal(): Promise<JournalEntry[]> {
  return parseJournal(await readFile(join(dataDir, "scene", "journal.jsonl"), "utf8").catch(() => ""));
}

// Each test starts real child processes; a busy machine can make that slow.
describe("createSceneEngine", { timeout: 30_000 }, () => {
  it("answers a change before it is journaled; the next call runs once it is", async () => {
    const scene = createEngine();
    await scene.start();
    const first = await scene.begin("add_object", { type: "cube", name: "A" });
    const second = scene.call("set_world", { strength: 2 });
    await first.saved;
    await second;
    expect((await journal()).map((entry) => [entry.seq, entry.command])).toEqual([
      [1, "add_object"],
      [2, "set_world"],
    ]);
  });

  it("fails a change that cannot be journaled, and restores the scene without it", async () => {
    const scene = createEngine();
    await scene.start();
    // A folder where the journal file should be: appending to it fails.
    await mkdir(join(dataDir, "scene", "journal.jsonl"), { recursive: true });
    const { saved } = await scene.begin("add_object", { type: "cube", name: "Lost" });
    const error = await failure(saved);
    expect(error.code).toBe("internal");
    expect(error.message).toMatch(/could not be saved/);
    // A new Blender, which has not been sent the change.
    expect(await received(scene)).toEqual([]);
  });

  it("journals changes, not reads, and not changes that failed", async () => {
    const scene = createEngine();
    await scene.start();
    await scene.call("add_object", { type: "cube" });
    await scene.call("export_scene", { format: "glb", output: "/tmp/x.glb" });
    await scene.call("set_world", { strength: 2 });
    expect((await failure(scene.call("add_object", { crash: true }))).code).toBe("blender_crashed");
    expect((await journal()).map((entry) => [entry.seq, entry.command])).toEqual([
      [1, "add_object"],
      [2, "set_world"],
    ]);
  });

  it("writes a change's entry while Blender runs it, and voids it when the call fails", async () => {
    const scene = createEngine();
    await scene.start();
    await scene.call("add_object", { type: "cube", name: "A" });
    const hanging = failure(scene.call("add_object", { type: "cube", name: "B", hang: true }, { timeoutMs: 400 }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Blender has not answered, and the entry is on disk already.
    const during = await readFile(join(dataDir, "scene", "journal.jsonl"), "utf8");
    expect(
      during
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line).args.name),
    ).toEqual(["A", "B"]);
    expect((await hanging).code).toBe("timeout");
    expect((await journal()).map((entry) => entry.args)).toEqual([{ type: "cube", name: "A" }]);
    // The restarted Blender got only the change that was acknowledged, and so does a new engine.
    expect(await received(scene)).toEqual(["add_object"]);
    await scene.stop();
    const next = createEngine();
    await next.start();
    expect(await received(next)).toEqual(["load_snapshot"]);
  });

  it("restores a restarted Blender with the snapshot and the journal after it", async () => {
    const scene = createEngine(3);
    await scene.start();
    for (let index = 0; index < 4; index++) await scene.call("add_object", { type: "cube", index });
    expect((await stat(join(dataDir, "scene", "snapshot.blend"))).size).toBeGreaterThan(0);
    expect((await journal()).map((entry) => entry.seq)).toEqual([4]);

    const hung = await failure(scene.call("add_object", { hang: true }, { timeoutMs: 100 }));
    expect(hung.code).toBe("timeout");
    // The new Blender got the snapshot, then only the journal entry the snapshot lacks.
    expect(await received(scene)).toEqual(["load_snapshot", "add_object"]);
  });

  it("restores a new engine on the same data dir, and folds the journal into a snapshot on stop", async () => {
    const first = createEngine();
    await first.start();
    await first.call("add_object", { type: "cube" });
    await first.call("update_object", { name: "Cube", location: [1, 2, 3] });
    const fromJournal = createSceneEngine({ logger, dataDir, spawn: fakeSpawn });
    await fromJournal.start();
    // A Blender that has just booted holds the new-project scene already: no reset, only the journal.
    expect(await received(fromJournal)).toEqual(["add_object", "update_object"]);
    await fromJournal.stop();

    await first.stop();
    engine = undefined;
    expect(await journal()).toEqual([]);
    const fromSnapshot = createEngine();
    const { sceneRestoreMs } = await fromSnapshot.start();
    expect(sceneRestoreMs).toBeGreaterThan(0);
    expect(await received(fromSnapshot)).toEqual(["load_snapshot"]);
    // Sequence numbers go on from the snapshot's.
    await fromSnapshot.call("delete_object", { name: "Cube" });
    expect((await journal()).map((entry) => entry.seq)).toEqual([3]);
  });

  it("cancels a call that is waiting for Blender without running it", async () => {
    const scene = createEngine();
    await scene.start();
    const render = scene.call("render_frame", { engine: "eevee", durationMs: 300 });
    const abort = new AbortController();
    const waiting = failure(scene.call("add_object", { type: "cube" }, { signal: abort.signal }));
    abort.abort();
    expect((await waiting).code).toBe("cancelled");
    await render;
    expect(await received(scene)).toEqual(["render_frame"]);
    expect(await journal()).toEqual([]);
  });

  it("stops a cancelled import in Blender, and the scene comes back without it", async () => {
    const scene = createEngine();
    await scene.start();
    const model = join(dataDir, "model.glb");
    await writeFile(model, "glTF");
    const abort = new AbortController();
    const importing = failure(scene.call("import_model", { format: "glb", path: model, hang: true }, { signal: abort.signal }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    abort.abort();
    const error = await importing;
    expect(error.code).toBe("cancelled");
    expect(await journal()).toEqual([]);
    expect(await received(scene)).toEqual([]);
    const missing = await failure(scene.call("import_model", { format: "glb", path: join(dataDir, "gone.glb") }));
    expect(missing.code).toBe("artifact_not_found");
  });

  it("keeps the scene in the store it is given, under the project's id, and a pool engine bound later restores it", async () => {
    const store = createFileSceneStore({ root: dataDir });
    const source = join(dataDir, "upload.glb");
    await writeFile(source, "glTF");
    const first = createSceneEngine({ logger, sceneStore: store, projectId: "alpha", spawn: fakeSpawn });
    engine = first;
    await first.start();
    await first.call("add_object", { type: "cube", name: "A" });
    await first.call("import_model", { format: "glb", path: source });
    const folder = join(dataDir, "alpha", "scene");
    const entries = parseJournal(await readFile(join(folder, "journal.jsonl"), "utf8"));
    expect(entries.map((entry) => entry.command)).toEqual(["add_object", "import_model"]);
    // The journal names the kept source, not the caller's file, which is gone by the next replay.
    const kept = entries[1]?.args.sceneFile as string;
    expect(entries[1]?.args.path).toBeUndefined();
    expect(await readFile(join(folder, "imports", ...kept.split("/")), "utf8")).toBe("glTF");
    await rm(source);

    const pool = createSceneEngine({ logger, sceneStore: store, spawn: fakeSpawn });
    await pool.start();
    await pool.bind!({ projectId: "alpha" });
    expect(await received(pool)).toEqual(["add_object", "import_model"]);
    await expect(pool.bind!({ projectId: "beta" })).rejects.toThrow(/already bound/);
    await pool.stop();
    // The final snapshot holds the import: its source and the journal go.
    expect((await stat(join(folder, "snapshot.blend"))).size).toBeGreaterThan(0);
    expect(await readFile(join(folder, "journal.jsonl"), "utf8")).toBe("");
    await expect(stat(join(folder, "imports"))).rejects.toThrow();
  });

  it("applies a keyed change once: the same key answers with the first result and runs nothing; other arguments are refused", async () => {
    const scene = createEngine();
    await scene.start();
    const idempotency = { key: "k-1", request: "digest-of-cube-A" };
    const first = await scene.begin("add_object", { type: "cube", name: "A" }, { idempotency });
    await first.saved;
    expect(first.repeated).toBeUndefined();
    const again = await scene.begin("add_object", { type: "cube", name: "A" }, { idempotency });
    expect(again.repeated).toBe(true);
    expect(again.result).toEqual(first.result);
    expect(scene.recall(idempotency)).toEqual({ result: first.result });
    const other = await failure(
      scene.call("add_object", { type: "cube", name: "B" }, { idempotency: { key: "k-1", request: "digest-of-cube-B" } }),
    );
    expect(other.code).toBe("invalid_arguments");
    expect(other.message).toMatch(/"k-1" was already used for another call/);
    expect(() => scene.recall({ key: "k-1", request: "digest-of-cube-B" })).toThrow(/already used for another call/);
    // Blender ran the change once; the journal holds it once, with its key and result.
    expect(await received(scene)).toEqual(["add_object"]);
    expect((await journal()).map((entry) => [entry.seq, entry.key, entry.result])).toEqual([[1, "k-1", first.result]]);
    // Reads ignore keys: they simply run.
    await scene.call("export_scene", { format: "glb", output: "/tmp/x.glb" }, { idempotency: { key: "k-1", request: "other" } });
  });

  it("runs a keyed change again on the restarted Blender when Blender died under it, and a keyless one fails", async () => {
    const scene = createEngine();
    await scene.start();
    const marker = join(dataDir, "crashed-once");
    const result = await scene.call(
      "add_object",
      { type: "cube", name: "A", crashOnce: marker },
      { idempotency: { key: "k-crash", request: "d" } },
    );
    expect(result).toMatchObject({ command: "add_object" });
    // The first attempt is voided, the second journaled: replay runs it once.
    expect((await journal()).map((entry) => [entry.seq, entry.key])).toEqual([[2, "k-crash"]]);
    expect(await received(scene)).toEqual(["add_object"]);
    expect((await failure(scene.call("add_object", { type: "cube", crash: true }))).code).toBe("blender_crashed");
  });

  it("keeps keys across a snapshot and a new engine, and takes a replay's answer where the result line never landed", async () => {
    const first = createEngine(2);
    await first.start();
    const a = { key: "k-a", request: "d-a" };
    const resultA = await first.call("add_object", { type: "cube", name: "A" }, { idempotency: a });
    await first.call("add_object", { type: "cube", name: "B" }, { idempotency: { key: "k-b", request: "d-b" } });
    // Two entries: folded into a snapshot, the journal emptied.
    await expect.poll(async () => (await journal()).length).toBe(0);
    await first.stop();
    engine = undefined;
    // The worker died after writing a keyed entry ahead: the line has the key but no result.
    await writeFile(
      join(dataDir, "scene", "journal.jsonl"),
      `${JSON.stringify({ seq: 3, command: "add_object", args: { type: "cube", name: "C" }, at: new Date().toISOString(), key: "k-c", request: "d-c" })}\n`,
    );
    const next = createEngine();
    await next.start();
    expect(await received(next)).toEqual(["load_snapshot", "add_object"]);
    const repeatedA = await next.begin("add_object", { type: "cube", name: "A" }, { idempotency: a });
    expect(repeatedA).toMatchObject({ repeated: true, result: resultA });
    const repeatedC = await next.begin("add_object", { type: "cube", name: "C" }, { idempotency: { key: "k-c", request: "d-c" } });
    expect(repeatedC.repeated).toBe(true);
    expect(repeatedC.result).toEqual({ command: "add_object", args: { type: "cube", name: "C" } });
    // Nothing ran again (the ping is the one that asked before).
    expect(await received(next)).toEqual(["load_snapshot", "add_object", "ping"]);
  });

  it("refuses calls before start and after stop", async () => {
    const scene = createEngine();
    expect((await failure(scene.call("ping", {}))).code).toBe("blender_unavailable");
    await scene.start();
    await scene.stop();
    expect((await failure(scene.call("ping", {}))).code).toBe("blender_unavailable");
    expect(scene.blenderPid).toBeUndefined();
  });
});
