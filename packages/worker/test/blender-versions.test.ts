// End-to-end: the worker names the Blender it runs (whichever the project runs this file against:
// Debian's `blender`, or a bpy wheel's Python in the e2e-bpy-* projects) in /healthz, the MCP
// server's identity and get_scene; and where that Blender has no OpenGL, EEVEE and Workbench
// renders are refused with a clear error while Cycles still renders, instead of Blender aborting.
import { execFileSync } from "node:child_process";
import { getScene, RESULT_META_KEYS, renderFrame } from "@bod/contracts";
import type { CallToolResult, Client } from "@modelcontextprotocol/client";
import { afterEach, describe, expect, it } from "vitest";
import { isPythonInterpreter } from "../src/early-blender.ts";
import { connectClient, removeDir, startWorkerProcess, type WorkerProcess } from "./support/worker-process.ts";

const blenderPath = process.env.BLENDER_PATH ?? "blender";

/** The version of the Blender under test, asked of it directly rather than through the bridge. */
function expectedVersion(): string {
  const output = isPythonInterpreter(blenderPath)
    ? execFileSync(blenderPath, ["-I", "-c", "import bpy; print('Blender', bpy.app.version_string)"], { encoding: "utf8" })
    : execFileSync(blenderPath, ["--version"], { encoding: "utf8" });
  const match = /Blender (\d+\.\d+\.\d+)/.exec(output);
  if (!match?.[1]) throw new Error(`no version in the output of ${blenderPath}: ${output}`);
  return match[1];
}

const started: { worker: WorkerProcess; client: Client }[] = [];

async function start(env: NodeJS.ProcessEnv = {}): Promise<{ worker: WorkerProcess; client: Client }> {
  const worker = await startWorkerProcess({ env });
  const client = await connectClient(worker, "versions-test");
  const running = { worker, client };
  started.push(running);
  return running;
}

afterEach(async () => {
  for (const { worker, client } of started.splice(0)) {
    await client.close();
    await worker.stop();
    await removeDir(worker.dataDir);
  }
});

describe(`the Blender the worker runs (${blenderPath})`, () => {
  it("is named in /healthz, in the MCP server's description and in get_scene", async () => {
    const version = expectedVersion();
    const { worker, client } = await start();
    const health = (await (await fetch(`${worker.url}/healthz`)).json()) as { blenderVersion?: string };
    expect(health.blenderVersion).toBe(version);
    expect(client.getServerVersion()?.description).toContain(`Blender ${version}`);
    const scene = getScene.outputSchema.parse(
      ((await client.callTool({ name: "get_scene", arguments: {} })) as CallToolResult).structuredContent,
    );
    expect(scene.blender).toEqual({ version });
  });

  it("refuses EEVEE and Workbench with a clear error where it finds no OpenGL, and still renders with Cycles", async () => {
    // libglvnd then finds no EGL driver at all, as on a machine without Mesa or a GPU driver.
    const { client } = await start({ __EGL_VENDOR_LIBRARY_FILENAMES: "/nonexistent/egl-vendor.json" });
    await client.callTool({ name: "add_object", arguments: { type: "cube", color: "red" } });
    for (const engine of ["eevee", "workbench"]) {
      const refused = (await client.callTool({
        name: "render_frame",
        arguments: { engine, width: 64, height: 36, samples: 1 },
      })) as CallToolResult;
      expect(refused.isError, JSON.stringify(refused)).toBe(true);
      expect(refused._meta?.[RESULT_META_KEYS.errorCode]).toBe("invalid_arguments");
      expect(JSON.stringify(refused.content)).toMatch(new RegExp(`${engine} cannot render here.*OpenGL.*cycles`));
    }
    const rendered = (await client.callTool({
      name: "render_frame",
      arguments: { engine: "cycles", width: 64, height: 36, samples: 2 },
    })) as CallToolResult;
    expect(rendered.isError, JSON.stringify(rendered)).toBeFalsy();
    expect(renderFrame.outputSchema.parse(rendered.structuredContent).engine).toBe("cycles");
  });
});
