// Unit tests of the activator's logic: scripted workers on a manual clock, real project folders in
// a temporary directory, no processes. The same behaviours are checked against real Blender workers
// in test/runtime.test.ts.
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createManualClock } from "./clock.ts";
import { CapacityError } from "./errors/capacity-error.ts";
import { WorkerStartError } from "./errors/worker-start-error.ts";
import { createLocalRuntime, defaultMaxInstances, type LocalRuntimeOptions } from "./local-runtime.ts";
import { createFakeLauncher } from "./test-support/fake-launcher.ts";

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "bod-runtime-unit-"));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** Lets real file system work and promise chains run (the clock only moves when told). */
async function until(condition: () => boolean, what = "condition"): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > 3000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function setup(overrides: Partial<LocalRuntimeOptions> = {}, script: Parameters<typeof createFakeLauncher>[1] = {}) {
  const clock = createManualClock(1_000_000);
  const launcher = createFakeLauncher(clock, script);
  const runtime = createLocalRuntime({
    dataDir,
    launcher,
    clock,
    idleTimeoutMs: 60_000,
    maxInstances: 4,
    rssOf: async () => 123,
    ...overrides,
  });
  return { clock, launcher, runtime };
}

async function stateOf(runtime: ReturnType<typeof setup>["runtime"], projectId: string) {
  return (await runtime.list()).find((instance) => instance.projectId === projectId)?.state;
}

describe("cold start", () => {
  it("holds concurrent first requests and starts exactly one worker", async () => {
    const { clock, launcher, runtime } = setup();
    const routes = Array.from({ length: 20 }, () => runtime.route("alpha"));
    let settled = 0;
    for (const route of routes) void route.then(() => settled++);
    await until(() => launcher.workers.length === 1, "launch");
    await clock.advance(1000);
    expect(settled).toBe(0);
    expect(await stateOf(runtime, "alpha")).toBe("starting");
    await clock.advance(500);
    const leases = await Promise.all(routes);
    expect(launcher.workers).toHaveLength(1);
    expect(leases.every((lease) => lease.coldStart)).toBe(true);
    expect(leases[0]?.endpoint).toEqual({ host: "127.0.0.1", port: launcher.workers[0]!.pid });
    const [info] = await runtime.list();
    expect(info).toMatchObject({ projectId: "alpha", state: "ready", inFlight: 20, rssBytes: 123, startsTotal: 1 });
    expect(info?.coldStart).toMatchObject({ fromPool: false, blenderReadyMs: 1300, sceneRestoreMs: 100 });
    for (const lease of leases) lease.release();
    const warm = await runtime.route("alpha");
    expect(warm.coldStart).toBe(false);
    warm.release();
  });

  it("puts the project folder in the worker's instance folder while it runs, and back afterwards", async () => {
    const { clock, launcher, runtime } = setup();
    const route = runtime.route("alpha");
    await until(() => launcher.workers.length === 1);
    await clock.advance(1500);
    (await route).release();
    const dir = runtime.projectDirOf("alpha");
    expect(dir).toContain(join(dataDir, "instances"));
    await writeFile(join(dir, "scene.txt"), "saved");
    const drained = runtime.drain("alpha");
    await clock.advance(100);
    await drained;
    expect(await readFile(join(dataDir, "projects", "alpha", "scene.txt"), "utf8")).toBe("saved");
    expect(await readdir(join(dataDir, "instances"))).toEqual([]);
  });

  it("fails held requests with a clear error when the worker never becomes ready", async () => {
    const { clock, launcher, runtime } = setup({ startTimeoutMs: 10_000 }, { hang: true });
    const held = Promise.allSettled([runtime.route("stuck"), runtime.route("stuck")]);
    await until(() => launcher.workers.length === 1);
    await clock.advance(10_000);
    const results = await held;
    for (const result of results) {
      expect(result.status).toBe("rejected");
      const error = (result as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(WorkerStartError);
      expect(error.code).toBe("worker_start_timeout");
      expect(error.message).toMatch(/did not become ready within 10 s/);
    }
    expect(launcher.workers[0]?.signals).toContain("SIGKILL");
    await until(() => launcher.workers[0]!.alive === false);
    // The next request tries again with a new worker.
    launcher.script.hang = false;
    const retry = runtime.route("stuck");
    await until(() => launcher.workers.length === 2);
    await clock.advance(1500);
    (await retry).release();
  });

  it("restarts a crashed worker on the next request", async () => {
    const { clock, launcher, runtime } = setup();
    const first = runtime.route("alpha");
    await until(() => launcher.workers.length === 1);
    await clock.advance(1500);
    (await first).release();
    launcher.workers[0]!.crash();
    await until(() => runtime.metrics.crashes !== undefined);
    const second = runtime.route("alpha");
    await until(() => launcher.workers.length === 2, "restart");
    await clock.advance(1500);
    const lease = await second;
    expect(lease.endpoint).toEqual({ host: "127.0.0.1", port: launcher.workers[1]!.pid });
    expect((await runtime.list())[0]).toMatchObject({ startsTotal: 2, lastExit: expect.stringMatching(/exited unexpectedly/) });
    lease.release();
  });

  it("tells a lease when its worker has exited, and a stale lease's report never stops the next worker", async () => {
    const { clock, launcher, runtime } = setup();
    const first = runtime.route("alpha");
    await until(() => launcher.workers.length === 1);
    await clock.advance(1500);
    const stale = await first;
    let exited = false;
    void stale.exited?.().then(() => {
      exited = true;
    });
    stale.reportUnavailable("unreachable");
    expect(launcher.workers[0]!.signals).toEqual(["SIGKILL"]);
    launcher.workers[0]!.crash();
    await until(() => exited, "exit seen by the lease");
    stale.release();
    // The next request starts a new worker; the old lease's late report leaves it alone.
    const next = runtime.route("alpha");
    await until(() => launcher.workers.length === 2, "restart");
    await clock.advance(1500);
    const lease = await next;
    stale.reportUnavailable("unreachable");
    expect(launcher.workers[1]!.signals).toEqual([]);
    lease.release();
  });

  it("rejects ids that are not slugs before touching anything", async () => {
    const { runtime, launcher } = setup();
    await expect(runtime.route("../etc")).rejects.toMatchObject({ code: "invalid_project_id" });
    await expect(runtime.route("Alpha")).rejects.toMatchObject({ code: "invalid_project_id" });
    expect(launcher.workers).toHaveLength(0);
  });
});

describe("idle drain", () => {
  it("drains after the idle timeout with nothing in flight, not before", async () => {
    const { clock, launcher, runtime } = setup({ idleTimeoutMs: 2000 });
    const route = runtime.route("alpha");
    await until(() => launcher.workers.length === 1);
    await clock.advance(1500);
    const lease = await route;
    await clock.advance(10_000);
    expect(await stateOf(runtime, "alpha")).toBe("ready"); // a request is in flight
    lease.release();
    await clock.advance(1999);
    expect(launcher.workers[0]!.received).toEqual([]);
    await clock.advance(1);
    expect(launcher.workers[0]!.received).toEqual([{ type: "drain" }]);
    expect(await stateOf(runtime, "alpha")).toBe("draining");
    await clock.advance(100);
    await until(() => launcher.workers[0]!.alive === false);
    await runtime.drain("alpha");
    expect(await stateOf(runtime, "alpha")).toBe("stopped");
  });

  it("counts the idle period from the last request, however many came and went before it", async () => {
    const { clock, launcher, runtime } = setup({ idleTimeoutMs: 2000 });
    const route = runtime.route("alpha");
    await until(() => launcher.workers.length === 1);
    await clock.advance(1500);
    (await route).release();
    for (let i = 0; i < 3; i++) {
      await clock.advance(1500);
      (await runtime.route("alpha")).release();
    }
    await clock.advance(1999);
    expect(launcher.workers[0]!.received).toEqual([]);
    await clock.advance(1);
    expect(launcher.workers[0]!.received).toEqual([{ type: "drain" }]);
  });

  it("does not count a quiet open stream as activity", async () => {
    const { clock, launcher, runtime } = setup({ idleTimeoutMs: 2000 });
    const route = runtime.route("alpha", { kind: "stream" });
    await until(() => launcher.workers.length === 1);
    await clock.advance(1500);
    const stream = await route;
    await clock.advance(2000);
    expect(launcher.workers[0]!.received).toEqual([{ type: "drain" }]);
    stream.release();
  });

  it("holds requests that race the drain and serves them with the next worker", async () => {
    const { clock, launcher, runtime } = setup({ idleTimeoutMs: 2000 });
    const first = runtime.route("alpha");
    await until(() => launcher.workers.length === 1);
    await clock.advance(1500);
    (await first).release();
    await clock.advance(2000);
    expect(await stateOf(runtime, "alpha")).toBe("draining");
    const racing = Array.from({ length: 200 }, () => runtime.route("alpha"));
    await clock.advance(100); // the old worker saves and exits
    await until(() => launcher.workers.length === 2, "second worker");
    await clock.advance(1500);
    const leases = await Promise.all(racing);
    expect(new Set(leases.map((lease) => JSON.stringify(lease.endpoint)))).toEqual(
      new Set([JSON.stringify({ host: "127.0.0.1", port: launcher.workers[1]!.pid })]),
    );
    for (const lease of leases) lease.release();
  });

  it("sends SIGTERM and then SIGKILL to a worker that will not drain", async () => {
    const { clock, launcher, runtime } = setup({ drainTimeoutMs: 5000, killGraceMs: 1000 }, { ignoreDrain: true });
    const route = runtime.route("alpha");
    await until(() => launcher.workers.length === 1);
    await clock.advance(1500);
    (await route).release();
    const drained = runtime.drain("alpha");
    await clock.advance(5000);
    expect(launcher.workers[0]!.signals).toEqual(["SIGTERM"]);
    await clock.advance(1000);
    expect(launcher.workers[0]!.signals).toEqual(["SIGTERM", "SIGKILL"]);
    await drained;
  });
});

describe("warm pool", () => {
  it("binds a pool worker to a project, never reuses it for another, and refills", async () => {
    const { clock, launcher, runtime } = setup({ poolSize: 1 });
    await until(() => launcher.workers.length === 1, "pool launch");
    expect(launcher.workers[0]!.options.deferBind).toBe(true);
    await clock.advance(1500);
    await runtime.poolReady();
    const route = runtime.route("alpha");
    await until(() => launcher.workers[0]!.received.length === 1, "bind");
    expect(launcher.workers[0]!.received[0]).toMatchObject({ type: "bind", dataDir: launcher.workers[0]!.bindPath });
    await clock.advance(50);
    const lease = await route;
    expect(lease.endpoint).toEqual({ host: "127.0.0.1", port: launcher.workers[0]!.pid });
    const info = (await runtime.list())[0];
    expect(info?.coldStart).toMatchObject({ fromPool: true, sceneRestoreMs: 50, spawnMs: 0, blenderReadyMs: 0 });
    await until(() => launcher.workers.length === 2, "refill");
    expect(launcher.workers[1]!.options.deferBind).toBe(true);
    await clock.advance(1500);
    const other = runtime.route("beta");
    await until(() => launcher.workers[1]!.received.length === 1, "second bind");
    await clock.advance(50);
    const otherLease = await other;
    expect(otherLease.endpoint).not.toEqual(lease.endpoint);
    // Each pool worker got exactly one bind, ever.
    for (const worker of launcher.workers)
      expect(worker.received.filter((message) => message.type === "bind").length).toBeLessThanOrEqual(1);
    lease.release();
    otherLease.release();
    const closed = runtime.close();
    await clock.advance(100);
    await closed;
    expect(await readdir(join(dataDir, "instances"))).toEqual([]);
    expect((await readdir(join(dataDir, "projects"))).sort()).toEqual(["alpha", "beta"]);
  });
});

describe("warm pool failures", () => {
  it("starts a fresh worker when the pool worker refuses the project", async () => {
    const { clock, launcher, runtime } = setup({ poolSize: 1 }, { refuseBind: true });
    await until(() => launcher.workers.length === 1, "pool launch");
    await clock.advance(1500);
    await runtime.poolReady();
    launcher.script.refuseBind = false;
    const route = runtime.route("alpha");
    await until(() => launcher.workers[0]!.received.length === 1, "bind");
    await clock.advance(50);
    await until(() => launcher.workers.some((worker) => !worker.options.deferBind), "fallback spawn");
    const fresh = launcher.workers.find((worker) => !worker.options.deferBind)!;
    expect(launcher.workers[0]!.signals).toContain("SIGKILL");
    await clock.advance(1500);
    const lease = await route;
    expect(lease.endpoint).toEqual({ host: "127.0.0.1", port: fresh.pid });
    expect((await runtime.list())[0]?.coldStart?.fromPool).toBe(false);
    lease.release();
  });
});

describe("capacity", () => {
  it("evicts the least recently used idle worker to make room", async () => {
    const { clock, launcher, runtime } = setup({ maxInstances: 2 });
    for (const id of ["a", "b"]) {
      const route = runtime.route(id);
      await until(() => launcher.workers.length === (id === "a" ? 1 : 2));
      await clock.advance(1500);
      (await route).release();
      await clock.advance(10);
    }
    const third = runtime.route("c");
    await until(() => launcher.workers[0]!.received.length === 1, "eviction");
    expect(launcher.workers[0]!.received).toEqual([{ type: "drain" }]); // "a" was used least recently
    expect(launcher.workers[1]!.received).toEqual([]);
    await clock.advance(100);
    await until(() => launcher.workers.length === 3, "third worker");
    await clock.advance(1500);
    (await third).release();
    expect(await stateOf(runtime, "a")).toBe("stopped");
  });

  it("queues starts while every worker is busy, then refuses with Retry-After", async () => {
    const { clock, launcher, runtime } = setup({ maxInstances: 1, maxQueue: 1, queueTimeoutMs: 20_000, retryAfterSeconds: 3 });
    const route = runtime.route("a");
    await until(() => launcher.workers.length === 1);
    await clock.advance(1500);
    const busy = await route;
    const queued = runtime.route("b");
    await until(() => runtime.metrics.queueLength !== undefined && launcher.workers.length === 1);
    const refused = runtime.route("c");
    await expect(refused).rejects.toBeInstanceOf(CapacityError);
    await expect(refused).rejects.toMatchObject({ retryAfterSeconds: 3 });
    // The busy worker finishes its call, goes idle and is drained for the queued start.
    busy.release();
    await until(() => launcher.workers[0]!.received.length === 1, "eviction");
    await clock.advance(100);
    await until(() => launcher.workers.length === 2, "queued start");
    await clock.advance(1500);
    (await queued).release();
  });

  it("fails a queued start after the queue timeout", async () => {
    const { clock, launcher, runtime } = setup({ maxInstances: 1, queueTimeoutMs: 5000 });
    const route = runtime.route("a");
    await until(() => launcher.workers.length === 1);
    await clock.advance(1500);
    const busy = await route;
    const queued = runtime.route("b");
    await new Promise((resolve) => setTimeout(resolve, 20));
    await clock.advance(5000);
    await expect(queued).rejects.toMatchObject({ code: "capacity_exhausted" });
    busy.release();
  });

  it("defaults the instance cap from memory", () => {
    expect(defaultMaxInstances(0, 24 * 1024 ** 3)).toBe(51);
    expect(defaultMaxInstances(2, 24 * 1024 ** 3)).toBe(49);
    expect(defaultMaxInstances(0, 100 * 1024 ** 2)).toBe(1);
  });
});
