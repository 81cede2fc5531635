// `bod chat` with no server running: it starts the stack in-process for one turn, prints the reply
// and the render's file in the data dir, and stops (draining the worker) before it exits.
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { afterAll, describe, expect, it } from "vitest";
import { runBod } from "./support/serve-process.ts";

const folders: string[] = [];
afterAll(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

describe("bod chat without a server", () => {
  it("runs the turn in-process and prints the render's file", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "bod-chat-e2e-"));
    folders.push(dataDir);
    const { stdout, stderr } = await runBod([
      "chat",
      "--embedded",
      "--data-dir",
      dataDir,
      "--project",
      "Sphere",
      "Add a blue sphere and render the scene with workbench at 320x180",
    ]);
    expect(stderr).toContain("Created project Sphere");
    expect(stdout).toContain("blue");
    const line = stdout.split("\n").find((entry) => entry.startsWith("render image/png "));
    expect(line, stdout).toBeDefined();
    const file = line!.slice("render image/png ".length).trim();
    expect(file.startsWith(join(dataDir, "projects"))).toBe(true);
    expect(existsSync(file)).toBe(true);
    const png = PNG.sync.read(readFileSync(file));
    expect([png.width, png.height]).toEqual([320, 180]);
    // The owner token it used is kept for the next run against the same data dir.
    expect(readFileSync(join(dataDir, "owner-token"), "utf8").trim()).toMatch(/^bod_/);
  });
});
