// Unit tests of moving a project's folder into a worker's instance folder and back, including
// recovery after a runtime that stopped without putting folders back.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createProjectFolders } from "./project-folders.ts";

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "bod-folders-"));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe("project folders", () => {
  it("creates a new project's folder inside the instance folder, and moves it home afterwards", async () => {
    const folders = createProjectFolders(dataDir);
    const instanceDir = await folders.createInstanceDir();
    const checkedOut = await folders.checkout("fresh", instanceDir);
    expect(checkedOut).toBe(join(instanceDir, "project"));
    await writeFile(join(checkedOut, "scene.txt"), "one cube");
    await folders.checkin(instanceDir);
    expect(await readFile(join(dataDir, "projects", "fresh", "scene.txt"), "utf8")).toBe("one cube");
    expect(await readdir(folders.instancesDir)).toEqual([]);
  });

  it("moves an existing project's files in whole, with one rename", async () => {
    const folders = createProjectFolders(dataDir);
    await mkdir(join(dataDir, "projects", "old", "scene"), { recursive: true });
    await writeFile(join(dataDir, "projects", "old", "scene", "journal.jsonl"), "{}\n");
    const instanceDir = await folders.createInstanceDir();
    await folders.checkout("old", instanceDir);
    expect(await readdir(join(dataDir, "projects"))).toEqual([]);
    expect(await readFile(join(instanceDir, "project", "scene", "journal.jsonl"), "utf8")).toBe("{}\n");
  });

  it("puts back folders a stopped runtime left checked out", async () => {
    const before = createProjectFolders(dataDir);
    const instanceDir = await before.createInstanceDir();
    await before.checkout("left-behind", instanceDir);
    await writeFile(join(instanceDir, "project", "scene.txt"), "kept");
    const after = createProjectFolders(dataDir);
    expect(await after.recover()).toEqual(["left-behind"]);
    expect(await readFile(join(dataDir, "projects", "left-behind", "scene.txt"), "utf8")).toBe("kept");
    expect(await readdir(after.instancesDir)).toEqual([]);
  });
});
