// Blender started before the worker, without starting anything: the launch matches what the engine
// would run, the bridge script ships, and the flags are read the way the command parser reads them.
// The shell start and the adoption itself, with real processes, are in early-blender.integration.test.ts.
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createSceneEngine } from "./blender/index.ts";
import {
  adoptionFromFlags,
  BRIDGE_SCRIPT,
  blenderLaunchArgs,
  blenderPathFromFlags,
  bridgeLaunchArgs,
  isPythonInterpreter,
} from "./early-blender.ts";

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
    expect(launches[0]).toEqual({
      command: process.env.BLENDER_PATH ?? "blender",
      args: bridgeLaunchArgs(process.env.BLENDER_PATH ?? "blender", BRIDGE_SCRIPT),
    });
  });

  it("runs a Python interpreter with bpy as a script and a Blender executable with Blender's flags", () => {
    for (const python of ["python", "python3", "/venv/bin/python3.11", "/usr/bin/python3.11"]) {
      expect(isPythonInterpreter(python)).toBe(true);
      expect(bridgeLaunchArgs(python, "/b/bridge.py")).toEqual(["-I", "/b/bridge.py"]);
    }
    for (const blender of ["blender", "/opt/blender-4.5/blender", "/usr/bin/blender-3.4", "/opt/python3/blender", "pythonista"]) {
      expect(isPythonInterpreter(blender)).toBe(false);
      expect(bridgeLaunchArgs(blender, "/b/bridge.py")).toEqual(blenderLaunchArgs("/b/bridge.py"));
    }
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

describe("Blender started ahead of the worker by a shell", () => {
  it("reads the adoption flags only when both are given", () => {
    expect(adoptionFromFlags(["--port", "0", "--adopt-blender", "42", "--bridge-channel", "/tmp/c"])).toEqual({
      pid: 42,
      channel: "/tmp/c",
    });
    expect(adoptionFromFlags(["--adopt-blender", "42"])).toBeUndefined();
    expect(adoptionFromFlags(["--adopt-blender", "x", "--bridge-channel", "/tmp/c"])).toBeUndefined();
  });
});
