// The SceneStore contract: one suite that every implementation runs unchanged (the files store in
// the unit tier, PostgreSQL + S3 in e2e against real servers). It pins down what the worker's
// engine relies on: journal lines kept as appended and in call order, truncation, a snapshot
// replaced whole, kept files, isolated projects, deletion, and a second store instance (a worker
// started elsewhere) seeing everything the first acknowledged.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JournalLine, ProjectScene, SceneStore } from "./scene-store.ts";

export interface SceneStoreFixture {
  store: SceneStore;
  /** Another store over the same backing, as a worker started on another machine would build it. */
  reopen(): SceneStore;
  /** Closes what the fixture made and removes its backing (folder, database, bucket). */
  close(): Promise<void>;
}

/** A fresh project id per test, so tests never see each other's scenes. */
function project(): string {
  return `p-${randomBytes(5).toString("hex")}`;
}

function entry(seq: number, args: Record<string, unknown> = {}): JournalLine {
  return { seq, command: "add_object", args, at: "2026-01-02T03:04:05.678Z" };
}

export function describeSceneStoreContract(name: string, createFixture: () => Promise<SceneStoreFixture>): void {
  describe(`SceneStore contract: ${name}`, () => {
    let fixture: SceneStoreFixture;
    let store: SceneStore;
    let local: string;
    const opened: ProjectScene[] = [];
    const others: SceneStore[] = [];

    beforeAll(async () => {
      fixture = await createFixture();
      store = fixture.store;
      local = await mkdtemp(join(tmpdir(), "bod-scene-contract-"));
    });
    afterAll(async () => {
      for (const scene of opened) await scene.close();
      for (const other of others) await other.close();
      await fixture?.close();
      if (local) await rm(local, { recursive: true, force: true });
    });

    async function open(projectId = project(), from: SceneStore = store): Promise<ProjectScene> {
      const scene = await from.open(projectId);
      opened.push(scene);
      return scene;
    }

    function reopen(): SceneStore {
      const other = fixture.reopen();
      others.push(other);
      return other;
    }

    async function localFile(bytes: Uint8Array | string): Promise<string> {
      const path = join(local, `${randomBytes(6).toString("hex")}.bin`);
      await writeFile(path, bytes);
      return path;
    }

    const localPath = () => join(local, "out", `${randomBytes(6).toString("hex")}.bin`);

    async function snapshotOf(scene: ProjectScene): Promise<Buffer | undefined> {
      const path = localPath();
      return (await scene.readSnapshot(path)) ? readFile(path) : undefined;
    }

    async function fileOf(scene: ProjectScene, name: string): Promise<Buffer | undefined> {
      const path = localPath();
      return (await scene.getFile(name, path)) ? readFile(path) : undefined;
    }

    it("opens a new project empty: no journal, no snapshot, no files", async () => {
      const scene = await open();
      expect(await scene.readJournal()).toEqual([]);
      const path = localPath();
      expect(await scene.readSnapshot(path)).toBe(false);
      await expect(stat(path)).rejects.toThrow();
      expect(await scene.getFile("a/model.glb", path)).toBe(false);
      await expect(stat(path)).rejects.toThrow();
    });

    it("keeps journal lines as appended, in order: entries, same-number replacements and void markers", async () => {
      const scene = await open();
      const lines: JournalLine[] = [
        entry(1, { type: "cube", location: [1.5, -2.25, 1e-7], color: [0.1, 0.2, 0.3, 1] }),
        entry(2, { type: "cube" }),
        entry(2, { type: "cube", name: "Cube.001" }),
        entry(3, { name: "Würfel ✓", text: 'quotes " and \\ backslashes\nand a newline' }),
        { seq: 3, void: true },
        entry(4, { nested: { deep: [{ a: null, b: true }] } }),
      ];
      for (const line of lines) await scene.appendJournal(line);
      expect(await scene.readJournal()).toEqual(lines);
    });

    it("lands appends that overlap in the order they were called", async () => {
      const scene = await open();
      await Promise.all(Array.from({ length: 40 }, (_, index) => scene.appendJournal(entry(index + 1, { index }))));
      expect((await scene.readJournal()).map((line) => line.seq)).toEqual(Array.from({ length: 40 }, (_, index) => index + 1));
    });

    it("refuses what is not a journal line, a sequence number, a project id or a file name, and stores nothing", async () => {
      const scene = await open();
      for (const bad of [{ seq: 0 }, { seq: -1 }, { seq: 1.5 }, { seq: "1" }, {}, null, [1], { seq: 1, big: 10n }]) {
        await expect(scene.appendJournal(bad as unknown as JournalLine)).rejects.toThrow(TypeError);
      }
      expect(await scene.readJournal()).toEqual([]);
      await expect(scene.truncateJournal(-1)).rejects.toThrow(TypeError);
      await expect(scene.truncateJournal(Number.NaN)).rejects.toThrow(TypeError);
      for (const badId of ["", "../other", "UPPER", "a/b", "-a", "a".repeat(64)]) {
        await expect(store.open(badId)).rejects.toThrow(/project id/);
        await expect(store.deleteProject(badId)).rejects.toThrow(/project id/);
      }
      const source = await localFile("x");
      for (const badName of ["", "../escape.obj", "a/../../b", "/absolute.obj", "a//b", "a/./b", "tab\there", "x".repeat(256)]) {
        await expect(scene.putFile(badName, source)).rejects.toThrow(TypeError);
        await expect(scene.getFile(badName, localPath())).rejects.toThrow(TypeError);
      }
    });

    it("truncates the lines up to a sequence number and keeps the rest in order, then appends on", async () => {
      const scene = await open();
      const lines: JournalLine[] = [entry(1), entry(2), entry(3), entry(3, { name: "B" }), { seq: 4, void: true }, entry(5)];
      for (const line of lines) await scene.appendJournal(line);
      await scene.truncateJournal(2);
      expect(await scene.readJournal()).toEqual(lines.slice(2));
      await scene.truncateJournal(2);
      expect(await scene.readJournal()).toEqual(lines.slice(2));
      await scene.truncateJournal(5);
      expect(await scene.readJournal()).toEqual([]);
      await scene.appendJournal(entry(6));
      expect(await scene.readJournal()).toEqual([entry(6)]);
      // Truncating a project with no journal at all is no error.
      await (await open()).truncateJournal(10);
    });

    it("stores a snapshot and replaces it whole, leaving the local file as it was", async () => {
      const scene = await open();
      const small = await localFile("BLENDER-v304 first");
      await scene.writeSnapshot(small);
      expect((await snapshotOf(scene))?.toString()).toBe("BLENDER-v304 first");
      expect(await readFile(small, "utf8")).toBe("BLENDER-v304 first");
      // Larger than one part of a multipart upload.
      const large = randomBytes(9 * 1024 * 1024 + 123);
      await scene.writeSnapshot(await localFile(large));
      expect((await snapshotOf(scene))?.equals(large)).toBe(true);
      // Reading over a file that is there replaces it.
      const target = await localFile("stale bytes that are longer than nothing");
      expect(await scene.readSnapshot(target)).toBe(true);
      expect((await readFile(target)).equals(large)).toBe(true);
    });

    it("lets a reader see the old snapshot or the new one while it is replaced, never a mix", async () => {
      const scene = await open();
      const before = Buffer.alloc(9 * 1024 * 1024, 0x61);
      const after = randomBytes(9 * 1024 * 1024);
      await scene.writeSnapshot(await localFile(before));
      let written = false;
      const writing = scene.writeSnapshot(await localFile(after)).then(() => {
        written = true;
      });
      let reads = 0;
      do {
        const seen = await snapshotOf(scene);
        expect(seen?.equals(before) || seen?.equals(after)).toBe(true);
        reads += 1;
      } while (!written);
      await writing;
      expect(reads).toBeGreaterThan(0);
      expect((await snapshotOf(scene))?.equals(after)).toBe(true);
    });

    it("keeps files under nested names, gives them back byte for byte, and deletes them all at once", async () => {
      const scene = await open();
      const obj = "o Red\nv 0 0 0\nmtllib scene.mtl\n";
      const glb = randomBytes(70_000);
      await scene.putFile("1f0c/scene.obj", await localFile(obj));
      await scene.putFile("1f0c/scene.mtl", await localFile("newmtl Red\nKd 1 0 0\n"));
      await scene.putFile("77ab/my model ✓.glb", await localFile(glb));
      await scene.appendJournal(entry(1));
      await scene.writeSnapshot(await localFile("snapshot"));
      expect((await fileOf(scene, "1f0c/scene.obj"))?.toString()).toBe(obj);
      expect((await fileOf(scene, "1f0c/scene.mtl"))?.toString()).toBe("newmtl Red\nKd 1 0 0\n");
      expect((await fileOf(scene, "77ab/my model ✓.glb"))?.equals(glb)).toBe(true);
      expect(await fileOf(scene, "1f0c/other.mtl")).toBeUndefined();
      // A file kept again under its name replaces the old one.
      await scene.putFile("1f0c/scene.mtl", await localFile("newmtl Blue\n"));
      expect((await fileOf(scene, "1f0c/scene.mtl"))?.toString()).toBe("newmtl Blue\n");
      await expect(scene.putFile("1f0c/missing.obj", join(local, "no-such-file"))).rejects.toThrow();

      await scene.deleteFiles();
      expect(await fileOf(scene, "1f0c/scene.obj")).toBeUndefined();
      expect(await fileOf(scene, "77ab/my model ✓.glb")).toBeUndefined();
      await scene.deleteFiles();
      // The journal and the snapshot are not files.
      expect(await scene.readJournal()).toEqual([entry(1)]);
      expect((await snapshotOf(scene))?.toString()).toBe("snapshot");
    });

    it("keeps projects apart, and deleteProject removes one project's scene and nothing else", async () => {
      const alpha = await open();
      const beta = await open();
      await alpha.appendJournal(entry(1, { of: "alpha" }));
      await beta.appendJournal(entry(1, { of: "beta" }));
      await alpha.writeSnapshot(await localFile("alpha snapshot"));
      await beta.writeSnapshot(await localFile("beta snapshot"));
      await alpha.putFile("f/a.glb", await localFile("alpha file"));
      await beta.putFile("f/a.glb", await localFile("beta file"));
      expect(await alpha.readJournal()).toEqual([entry(1, { of: "alpha" })]);
      expect((await fileOf(beta, "f/a.glb"))?.toString()).toBe("beta file");
      await alpha.truncateJournal(1);
      expect(await beta.readJournal()).toEqual([entry(1, { of: "beta" })]);

      await store.deleteProject(alpha.projectId);
      const again = await open(alpha.projectId);
      expect(await again.readJournal()).toEqual([]);
      expect(await snapshotOf(again)).toBeUndefined();
      expect(await fileOf(again, "f/a.glb")).toBeUndefined();
      expect(await beta.readJournal()).toEqual([entry(1, { of: "beta" })]);
      expect((await snapshotOf(beta))?.toString()).toBe("beta snapshot");
      expect((await fileOf(beta, "f/a.glb"))?.toString()).toBe("beta file");
      // Deleting what is gone, or was never there, is no error; the project starts afresh after.
      await store.deleteProject(alpha.projectId);
      await store.deleteProject(project());
      const afresh = await open(alpha.projectId);
      await afresh.appendJournal(entry(1, { of: "alpha again" }));
      expect(await afresh.readJournal()).toEqual([entry(1, { of: "alpha again" })]);
    });

    it("shows a new store instance everything the first acknowledged, and the first what the new one adds", async () => {
      const first = await open();
      await first.appendJournal(entry(1, { type: "cube" }));
      await first.appendJournal(entry(1, { type: "cube", name: "Cube" }));
      await first.appendJournal({ seq: 2, void: true });
      await first.writeSnapshot(await localFile("as of 1"));
      await first.putFile("k/scene.obj", await localFile("o X\n"));

      // A worker started elsewhere: a new store over the same backing, the old one still open.
      const second = await open(first.projectId, reopen());
      expect(await second.readJournal()).toEqual([
        entry(1, { type: "cube" }),
        entry(1, { type: "cube", name: "Cube" }),
        { seq: 2, void: true },
      ]);
      expect((await snapshotOf(second))?.toString()).toBe("as of 1");
      expect((await fileOf(second, "k/scene.obj"))?.toString()).toBe("o X\n");
      await second.appendJournal(entry(3));
      await second.truncateJournal(2);
      expect(await first.readJournal()).toEqual([entry(3)]);
      await first.close();
      await second.close();
    });

    it("gives a shared scene to its newest opener: an older handle learns it was superseded and may no longer write", async () => {
      const first = await open();
      await first.appendJournal(entry(1));
      expect(first.superseded).toBe(false);
      const second = await open(first.projectId, reopen());
      if (!store.shared) {
        // One worker at a time reaches this store's scenes; nothing is superseded.
        expect(first.superseded).toBe(false);
        expect(second.superseded).toBe(false);
        return;
      }
      // The announcement arrives within moments; the writes are refused whether or not it has.
      await expect(first.appendJournal(entry(2))).rejects.toMatchObject({ name: "SceneSupersededError" });
      await expect(first.truncateJournal(1)).rejects.toMatchObject({ name: "SceneSupersededError" });
      await expect(first.writeSnapshot(await localFile("stale"))).rejects.toMatchObject({ name: "SceneSupersededError" });
      await expect(first.putFile("stale.obj", await localFile("o S\n"))).rejects.toMatchObject({ name: "SceneSupersededError" });
      await expect(first.deleteFiles()).rejects.toMatchObject({ name: "SceneSupersededError" });
      const deadline = Date.now() + 2_000;
      while (!first.superseded && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(first.superseded).toBe(true);
      expect(second.superseded).toBe(false);
      await second.appendJournal(entry(2));
      expect(await second.readJournal()).toEqual([entry(1), entry(2)]);
      expect(await snapshotOf(second)).toBeUndefined();

      // Opening again takes the scene back, with what the other wrote; now the other is superseded.
      const third = await open(first.projectId, store);
      await third.appendJournal(entry(3));
      expect(await third.readJournal()).toEqual([entry(1), entry(2), entry(3)]);
      await expect(second.appendJournal(entry(4))).rejects.toMatchObject({ name: "SceneSupersededError" });
    });

    it("refuses calls on a closed project scene", async () => {
      const scene = await store.open(project());
      await scene.appendJournal(entry(1));
      await scene.close();
      await expect(scene.appendJournal(entry(2))).rejects.toThrow(/closed/);
      await scene.close();
      const reopened = await open(scene.projectId);
      expect(await reopened.readJournal()).toEqual([entry(1)]);
    });
  });
}
