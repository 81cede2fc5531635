// End-to-end: Blender dies under a running worker (kill -9, mid-session and mid-render), and
// the scene survives a worker restart on the same data dir.
import { getScene } from "@bod/contracts";
import type { CallToolResult, Client } from "@modelcontextprotocol/client";
import { afterEach, describe, expect, it } from "vitest";
import { connectClient, removeDir, startWorkerProcess, type WorkerProcess } from "./support/worker-process.ts";

const started: WorkerProcess[] = [];

async function objectNames(client: Client): Promise<string[]> {
  const result = (await client.callTool({ name: "get_scene", arguments: {} })) as CallToolResult;
  return getScene.outputSchema
    .parse(result.structuredContent)
    .objects.map((object) => object.name)
    .sort();
}

async function blenderPid(worker: WorkerProcess): Promise<number> {
  const health = (await (await fetch(`${worker.url}/healthz`)).json()) as { blenderPid: number };
  return health.blenderPid;
}

afterEach(async () => {
  for (const worker of started.splice(0)) {
    await worker.stop();
    await removeDir(worker.dataDir);
  }
});

describe("recovery", () => {
  it("restarts Blender after kill -9 and restores the scene as of the last acknowledged call", async () => {
    const worker = await startWorkerProcess();
    started.push(worker);
    const client = await connectClient(worker, "recovery-test");
    await client.callTool({ name: "add_object", arguments: { type: "cube", name: "Keep1", color: "red" } });
    await client.callTool({ name: "add_object", arguments: { type: "cone", name: "Keep2" } });
    await client.callTool({ name: "update_object", arguments: { name: "Keep2", location: [1, 2, 3] } });

    const oldPid = await blenderPid(worker);
    process.kill(oldPid, "SIGKILL");
    // The next call either reports the crash (if it raced the restart) or succeeds on the new Blender.
    let names: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        names = await objectNames(client);
        break;
      } catch {}
    }
    expect(names).toEqual(["Keep1", "Keep2"]);
    expect(await blenderPid(worker)).not.toBe(oldPid);
    const scene = getScene.outputSchema.parse(
      ((await client.callTool({ name: "get_scene", arguments: {} })) as CallToolResult).structuredContent,
    );
    expect(scene.objects.find((object) => object.name === "Keep2")?.location).toEqual([
      expect.closeTo(1, 4),
      expect.closeTo(2, 4),
      expect.closeTo(3, 4),
    ]);
    expect(scene.objects.find((object) => object.name === "Keep1")?.material?.baseColor).toBe("#ff0000");
    await client.close();
  });

  it("reports a render interrupted by a crash as an error and keeps serving", async () => {
    const worker = await startWorkerProcess();
    started.push(worker);
    const client = await connectClient(worker, "recovery-test");
    await client.callTool({ name: "add_object", arguments: { type: "monkey", name: "Busy" } });
    const pid = await blenderPid(worker);
    const render = client.callTool({ name: "render_frame", arguments: { engine: "cycles", width: 640, height: 480, samples: 2000 } });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    process.kill(pid, "SIGKILL");
    const result = (await render) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toMatch(/blender_crashed|crash/i);
    expect(await objectNames(client)).toEqual(["Busy"]);
    await client.close();
  });

  it("cancels a long render when the client aborts, and the next call runs at once", async () => {
    const worker = await startWorkerProcess();
    started.push(worker);
    const client = await connectClient(worker, "recovery-test");
    await client.callTool({ name: "add_object", arguments: { type: "monkey", name: "Slow" } });
    const controller = new AbortController();
    const render = client.callTool(
      { name: "render_frame", arguments: { engine: "cycles", width: 640, height: 480, samples: 4000 } },
      { signal: controller.signal },
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const abortedAt = performance.now();
    controller.abort();
    await expect(render).rejects.toThrow();
    // Rendering 4000 samples takes minutes here; an answer within seconds means the render stopped.
    expect(await objectNames(client)).toEqual(["Slow"]);
    expect(performance.now() - abortedAt).toBeLessThan(10_000);
    await client.close();
  });

  it("restores the scene in a new worker on the same data dir", async () => {
    const first = await startWorkerProcess();
    const client = await connectClient(first, "recovery-test");
    await client.callTool({ name: "add_object", arguments: { type: "cylinder", name: "Pillar", color: "#00ff00", scale: [1, 1, 3] } });
    await client.callTool({ name: "set_world", arguments: { color: "black", strength: 0.5 } });
    await client.close();
    await first.stop();

    const second = await startWorkerProcess({ dataDir: first.dataDir });
    started.push(second);
    const again = await connectClient(second, "recovery-test");
    const scene = getScene.outputSchema.parse(
      ((await again.callTool({ name: "get_scene", arguments: {} })) as CallToolResult).structuredContent,
    );
    expect(scene.objects.map((object) => object.name)).toEqual(["Pillar"]);
    expect(scene.objects[0]?.scale).toEqual([expect.closeTo(1, 4), expect.closeTo(1, 4), expect.closeTo(3, 4)]);
    expect(scene.world).toMatchObject({ color: "#000000", strength: 0.5 });
    await again.close();
  });
});
