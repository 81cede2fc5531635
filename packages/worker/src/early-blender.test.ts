import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createSceneEngine } from "./blender/index.ts";
import { adoptionFromFlags, BRIDGE_SCRIPT, blenderFirstCommand, blenderLaunchArgs, blenderPathFromFlags } from "./early-blender.ts";

const FAKE_BLENDER = fileURLToPath(new URL("./blender/testing/fake-blender.ts", import.meta.url));
const ADOPTING_WORKER = fileURLToPath(new URL("./blender/testing/adopting-worker.ts", import.meta.url));

describe("early Blender start", () => {
  it("launches Blender exactly as the engine would, so the engine can adopt the child", async () => {
    const launches: { command: string; args: readonly string[] }[] = [];
    const engine = createSceneEngine({
      logger: pino({ level: "silent" }),
      readyTimeoutMs: 200,
      spawn: (command, args) => {
        launches.push({ command, args });
        throw new Error("recorded, not started");
      },
    });
    await expect(engine.start()).rejects.toThrow();
    expect(launches[0]).toEqual({ command: "blender", args: blenderLaunchArgs(BRIDGE_SCRIPT) });
  });

  it("points at the bridge script that ships with the worker", async () => {
    const { access } = await import("node:fs/promises");
    await expect(access(BRIDGE_SCRIPT)).resolves.toBeUndefined();
  });

  it("reads --blender from a raw `bod worker` command line the way the command's parser does", () => {
    expect(blenderPathFromFlags(["--port", "0", "--blender", "/opt/blender/blender"])).toBe("/opt/blender/blender");
    expect(blenderPathFromFlags(["--blender=/opt/b"])).toBe("/opt/b");
    expect(blenderPathFromFlags(["--data-dir", "d"])).toBeUndefined();
    expect(blenderPathFromFlags(["--", "--blender", "x"])).toBeUndefined();
  });
});

describe("Blender started ahead of the worker by a shell", { timeout: 30_000 }, () => {
  it("is adopted by the worker, supervised like its own child, and replaced by one when it crashes", async () => {
    const folder = await mkdtemp(join(tmpdir(), "bod-blender-first-"));
    try {
      // A Blender executable with a quote in its path, which the launcher must pass on intact.
      const blender = join(folder, "it's blender");
      await writeFile(blender, `#!/bin/sh\nexec "${process.execPath}" "${FAKE_BLENDER}" "$@"\n`);
      await chmod(blender, 0o755);
      await mkdir(join(folder, "tmp"));
      const [shell, ...args] = blenderFirstCommand(blender, [process.execPath, ADOPTING_WORKER]);
      const { stdout } = await promisify(execFile)(shell as string, args, {
        env: { ...process.env, TMPDIR: join(folder, "tmp"), BLENDER_PATH: blender },
      });
      const seen = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
      expect(seen.adoptedPid).toBeGreaterThan(0);
      // The adopted Blender was the one the shell started: the engine's first command reached it.
      expect(seen.received).toEqual(["ping"]);
      expect(seen.crash).toBe("blender_crashed");
      expect(seen.restartedPid).toBeGreaterThan(0);
      expect(seen.restartedPid).not.toBe(seen.adoptedPid);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it("reads the adoption flags only when both are given", () => {
    expect(adoptionFromFlags(["--port", "0", "--adopt-blender", "42", "--bridge-channel", "/tmp/c"])).toEqual({
      pid: 42,
      channel: "/tmp/c",
    });
    expect(adoptionFromFlags(["--adopt-blender", "42"])).toBeUndefined();
    expect(adoptionFromFlags(["--adopt-blender", "x", "--bridge-channel", "/tmp/c"])).toBeUndefined();
  });
});
