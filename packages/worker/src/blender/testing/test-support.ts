// Helpers the Blender tests share: launching the stand-in Blender (fake-blender.ts) in place of
// the real one, and catching the ToolError a call is expected to fail with.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ToolError } from "@bod/contracts";
import type { SpawnFunction } from "../blender-process.ts";

const FAKE_BLENDER = fileURLToPath(new URL("./fake-blender.ts", import.meta.url));

/** Launches the stand-in Blender in `mode` (see fake-blender.ts); records what it was asked to run in `seen`. */
export function fakeBlenderSpawn(mode = "normal", seen?: { command?: string; args?: readonly string[] }): SpawnFunction {
  return (command, args, options) => {
    if (seen) {
      seen.command = command;
      seen.args = args;
    }
    return spawn(process.execPath, [FAKE_BLENDER, ...args], { ...options, env: { ...options.env, FAKE_BLENDER_MODE: mode } });
  };
}

/** The ToolError `promise` rejects with; anything else (or success) fails the test. */
export async function failure(promise: Promise<unknown>): Promise<ToolError> {
  try {
    await promise;
  } catch (error) {
    if (ToolError.is(error)) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}
