import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createSceneEngine } from "./blender/index.ts";
import { BRIDGE_SCRIPT, blenderLaunchArgs, blenderPathFromFlags } from "./early-blender.ts";

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
