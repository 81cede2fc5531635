// End-to-end tests of the runtime: real `bod worker` processes with real Blender (sandboxed with
// bubblewrap where it works, as `bod serve` runs them), reached over HTTP by the official MCP client.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BWRAP, findDescendants, type Harness, instance, objectNames, REPO_ROOT, startHarness, structured, waitFor } from "./harness.ts";

const BLENDER_COMMAND = /^\S*blender\s/;
const WORKER_PROCESS = /main\.ts worker/;

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function addCube(client: Awaited<ReturnType<Harness["connect"]>>, name: string) {
  structured(await client.callTool({ name: "add_object", arguments: { type: "cube", name, color: "red" } }));
}

describe("runtime with real workers", () => {
  it("holds the first requests through the cold start and starts exactly one worker for them", async () => {
    harness = await startHarness();
    const h = harness;
    const clients = await Promise.all(Array.from({ length: 6 }, () => h.connect("cold")));
    const scenes = await Promise.all(clients.map((client) => objectNames(client)));
    for (const names of scenes) expect(names).toEqual([]);
    expect(h.launches).toHaveLength(1);
    const info = await instance(h, "cold");
    expect(info).toMatchObject({ state: "ready", startsTotal: 1, inFlight: 0 });
    expect(info?.coldStart?.fromPool).toBe(false);
    expect(info?.coldStart?.blenderReadyMs).toBeGreaterThan(0);
    expect(info?.rssBytes).toBeGreaterThan(100 * 1024 * 1024);

    // The HTTP view says the same, and /metrics counts the start.
    const listed = (await (await h.api("/api/instances/cold")).json()) as { state: string; pid: number };
    expect(listed.state).toBe("ready");
    expect(listed.pid).toBe(info?.pid);
    const metrics = await (await h.api("/metrics")).text();
    expect(metrics).toMatch(/bod_runtime_cold_starts_total\{source="spawn",outcome="ok"\} 1/);
    expect(metrics).toMatch(/bod_runtime_instances\{state="ready"\} 1/);
  });

  it("links artifacts through the runtime and serves them from the project folder, with or without a worker", async () => {
    harness = await startHarness({ poolSize: 1 });
    const h = harness;
    await h.runtime.poolReady();
    const client = await h.connect("files");
    await addCube(client, "Exported");
    const exported = structured(await client.callTool({ name: "export_glb", arguments: {} })) as { artifact: { url: string } };
    expect(exported.artifact.url.startsWith(`${h.url}/projects/files/artifacts/`)).toBe(true);
    const path = exported.artifact.url.slice(h.url.length);
    const live = await h.api(path);
    expect(live.status).toBe(200);
    expect(
      Buffer.from(await live.arrayBuffer())
        .subarray(0, 4)
        .toString(),
    ).toBe("glTF");
    expect((await fetch(exported.artifact.url)).status).toBe(401);
    await h.runtime.drain("files");
    const afterDrain = await h.api(path);
    expect(afterDrain.status).toBe(200);
    expect((await instance(h, "files"))?.state).toBe("stopped");
    expect((await h.api("/projects/files/artifacts/0123456789abcdef0123456789abcdef.glb")).status).toBe(404);
  });

  it("refuses requests without the token, and answers /healthz without one", async () => {
    harness = await startHarness();
    expect((await fetch(`${harness.url}/healthz`)).status).toBe(200);
    const refused = await fetch(`${harness.url}/projects/p1/mcp`, { method: "POST", body: "{}" });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toMatch(/Bearer/);
    expect((await fetch(`${harness.url}/api/instances`, { headers: { authorization: "Bearer wrong-token-0123456789" } })).status).toBe(401);
    const badId = await harness.api("/projects/Bad..Id/mcp", { method: "POST", body: "{}" });
    expect(badId.status).toBe(400);
    expect(harness.launches).toHaveLength(0);
  });

  it("drains an idle worker on time, keeps the scene, and restores it on the next request", async () => {
    harness = await startHarness({ idleTimeoutMs: 2000 });
    const client = await harness.connect("idle");
    await addCube(client, "Kept");
    const lastRequestAt = Date.now();
    const h = harness;
    await waitFor(async () => (await instance(h, "idle"))?.state !== "ready", "drain start", 10_000);
    const drainStartedAfter = Date.now() - lastRequestAt;
    expect(drainStartedAfter).toBeGreaterThanOrEqual(1900);
    expect(drainStartedAfter).toBeLessThan(3500);
    await waitFor(async () => (await instance(h, "idle"))?.state === "stopped", "stopped", 15_000);
    expect(await readdir(join(h.dataDir, "projects", "idle", "scene"))).toContain("snapshot.blend");

    // The same MCP client keeps working: the next call wakes a new worker with the scene restored.
    expect(await objectNames(client)).toEqual(["Kept"]);
    expect(h.launches).toHaveLength(2);
  });

  it("serves every request that races a drain, with no errors", async () => {
    harness = await startHarness({ idleTimeoutMs: 60_000 });
    const client = await harness.connect("race");
    await addCube(client, "Racer");
    const outcomes: Promise<string[]>[] = [];
    const h = harness;
    // 300 calls across the boundary: before, during and after the drain and the restart.
    for (let wave = 0; wave < 6; wave++) {
      for (let i = 0; i < 50; i++) outcomes.push(objectNames(client));
      if (wave === 1) void h.runtime.drain("race");
      await new Promise((done) => setTimeout(done, wave < 3 ? 20 : 400));
    }
    const results = await Promise.allSettled(outcomes);
    const failures = results.filter((result) => result.status === "rejected");
    expect(failures.map((failure) => String((failure as PromiseRejectedResult).reason))).toEqual([]);
    for (const result of results) expect((result as PromiseFulfilledResult<string[]>).value).toEqual(["Racer"]);
    expect(h.launches.length).toBeGreaterThanOrEqual(2);
  });

  it("restores the scene after Blender is killed with SIGKILL, and after the worker is", async () => {
    harness = await startHarness();
    const h = harness;
    const client = await h.connect("crash");
    await addCube(client, "Survivor");
    const first = await instance(h, "crash");
    const [blenderPid] = await findDescendants(first!.pid!, BLENDER_COMMAND);
    expect(blenderPid).toBeDefined();
    process.kill(blenderPid!, "SIGKILL");
    // The worker notices, restarts Blender and replays the journal; calls may fail while it does.
    const afterBlender = await waitFor(() => objectNames(client).catch(() => undefined), "scene after Blender kill", 60_000);
    expect(afterBlender).toEqual(["Survivor"]);
    await addCube(client, "Second");

    // Sandboxed, the worker is a child of bwrap; otherwise it is the instance's root process.
    const workerPid = (await findDescendants(first!.pid!, WORKER_PROCESS))[0] ?? first!.pid!;
    process.kill(workerPid, "SIGKILL");
    await waitFor(async () => (await instance(h, "crash"))?.state === "stopped", "crash noticed", 10_000);
    expect(await objectNames(client)).toEqual(["Second", "Survivor"]);
    expect((await instance(h, "crash"))?.startsTotal).toBe(2);
    expect(await findDescendants(first!.pid!, BLENDER_COMMAND)).toEqual([]);
  });

  it("binds pool workers to one project each and never shares one across projects", async () => {
    harness = await startHarness({ poolSize: 1 });
    const h = harness;
    await h.runtime.poolReady();
    const alpha = await h.connect("pool-alpha");
    await addCube(alpha, "AlphaOnly");
    const alphaInfo = await instance(h, "pool-alpha");
    expect(alphaInfo?.coldStart?.fromPool).toBe(true);
    await h.runtime.poolReady();
    const beta = await h.connect("pool-beta");
    expect(await objectNames(beta)).toEqual([]);
    const betaInfo = await instance(h, "pool-beta");
    expect(betaInfo?.coldStart?.fromPool).toBe(true);
    expect(betaInfo?.pid).not.toBe(alphaInfo?.pid);
    expect(await objectNames(alpha)).toEqual(["AlphaOnly"]);
    expect(h.launches.every((launch) => launch.deferBind)).toBe(true);
    // Each project's files are in its own folder, the other's scene nowhere near it.
    await h.runtime.drain("pool-alpha");
    await h.runtime.drain("pool-beta");
    const alphaJournal = await readFile(join(h.dataDir, "projects", "pool-alpha", "scene", "journal.jsonl"), "utf8").catch(() => "");
    const betaJournal = await readFile(join(h.dataDir, "projects", "pool-beta", "scene", "journal.jsonl"), "utf8").catch(() => "");
    expect(betaJournal).not.toContain("AlphaOnly");
    void alphaJournal;
    // After a drain the project comes back with its scene, from a fresh pool worker.
    expect(await objectNames(alpha)).toEqual(["AlphaOnly"]);
  });

  it("queues starts beyond --max-instances and answers 503 with Retry-After past the queue", async () => {
    harness = await startHarness({ maxInstances: 1, maxQueue: 1, queueTimeoutMs: 60_000, retryAfterSeconds: 3 });
    const h = harness;
    // A request in flight keeps project "busy" from being evicted.
    const busy = await h.runtime.route("busy");
    const queued = h.connect("queued").then((client) => objectNames(client));
    await waitFor(() => h.runtime.metrics.queueLength.get().then((value) => (value.values[0]?.value === 1 ? true : undefined)), "queued");
    const refused = await h.api("/projects/refused/mcp", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("3");
    expect(((await refused.json()) as { code: string }).code).toBe("capacity_exhausted");
    // The busy call ends, its worker is drained to make room, and the queued request is served.
    busy.release();
    expect(await queued).toEqual([]);
    expect((await instance(h, "busy"))?.state).toBe("stopped");
  });

  it("fails held requests with a clear error when a worker never becomes ready", async () => {
    harness = await startHarness({
      startTimeoutMs: 3000,
      workerEnv: { BLENDER_PATH: join(REPO_ROOT, "packages/runtime/test/fixtures/hanging-blender.sh") },
    });
    const h = harness;
    const startedAt = Date.now();
    const held = await Promise.all(
      Array.from({ length: 3 }, () =>
        h.api("/projects/never/mcp", {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
        }),
      ),
    );
    const elapsed = Date.now() - startedAt;
    expect(elapsed).toBeGreaterThanOrEqual(2900);
    expect(elapsed).toBeLessThan(8000);
    for (const response of held) {
      expect(response.status).toBe(504);
      const body = (await response.json()) as { code: string; detail: string };
      expect(body.code).toBe("worker_start_timeout");
      expect(body.detail).toMatch(/did not become ready within 3 s/);
    }
    expect(h.launches).toHaveLength(1);
    await waitFor(async () => (await instance(h, "never"))?.state === "stopped", "stopped");
  });

  it.runIf(BWRAP !== undefined)("runs sandboxed workers with no network namespace of ours and no view of other projects", async () => {
    harness = await startHarness({ sandbox: true });
    const h = harness;
    await addCube(await h.connect("sandboxed"), "Boxed");
    const info = await instance(h, "sandboxed");
    const [workerPid] = await findDescendants(info!.pid!, WORKER_PROCESS);
    const [ourNet, theirNet] = await Promise.all([readlinkNs("self"), readlinkNs(String(workerPid))]);
    expect(theirNet).not.toBe(ourNet);
    // Its own folder is there; the runtime's data dir (other projects) is hidden behind an empty tmpfs.
    const root = `/proc/${workerPid}/root`;
    expect(await readdir(`${root}/tmp/bod`)).toEqual(expect.arrayContaining(["project", "worker.sock"]));
    expect(await readdir(`${root}/tmp/bod/project/scene`)).toContain("journal.jsonl");
    expect(await readdir(join(h.dataDir, "projects")).catch(() => [])).toEqual([]);
    await expect(readdir(`${root}${h.dataDir}/instances`)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("runs unsandboxed workers, pooled and not, over loopback TCP when asked to", async () => {
    harness = await startHarness({ sandbox: false, poolSize: 1 });
    await harness.runtime.poolReady();
    const client = await harness.connect("plain");
    await addCube(client, "Plain");
    expect(await objectNames(client)).toEqual(["Plain"]);
    const info = await instance(harness, "plain");
    expect(info?.coldStart?.fromPool).toBe(true);
    expect(info?.endpoint).toMatchObject({ host: "127.0.0.1" });
    await harness.runtime.drain("plain");
    expect(await objectNames(client)).toEqual(["Plain"]);
  });
});

async function readlinkNs(pid: string): Promise<string> {
  const { readlink } = await import("node:fs/promises");
  return readlink(`/proc/${pid}/ns/net`);
}
