import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createSceneEngine } from "./blender/index.ts";
import { BRIDGE_SCRIPT, blenderLaunchArgs } from "./early-blender.ts";

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
});
