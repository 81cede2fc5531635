// The PostgreSQL state against a real server: the State contract (two instances on one database,
// as two gateway replicas), migrations when replicas start together, a holder that dies (SIGKILL,
// or its connection ended by the server) freeing the turn lock for the other replica, and a
// database that stalls or refuses behind a TCP fault proxy: calls fail with StateUnavailableError
// within the deadline, leave nothing half-written, and work again once it answers.
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { createFaultProxy, createTestDatabase, type FaultProxy, type TestDatabase } from "@bod/testing";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { StateUnavailableError } from "../src/errors/state-unavailable-error.ts";
import { TurnStillRunningError } from "../src/errors/turn-still-running-error.ts";
import { createPostgresState, type PostgresState, type PostgresStateOptions } from "../src/postgres-state.ts";
import { describeStateContract } from "../src/state-contract.ts";

/** Every row of every table in the database's public schema, as JSON. */
async function dumpDatabase(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ tablename: string }>(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    );
    const dump: Record<string, unknown> = {};
    for (const { tablename } of tables.rows) dump[tablename] = (await client.query(`SELECT * FROM "${tablename}"`)).rows;
    return JSON.stringify(dump, (_key, value) => (value?.type === "Buffer" ? Buffer.from(value.data).toString("hex") : value));
  } finally {
    await client.end();
  }
}

describeStateContract("PostgreSQL", async () => {
  const database = await createTestDatabase();
  return {
    open: () => createPostgresState({ url: database.url }),
    dump: () => dumpDatabase(database.url),
    drop: () => database.drop(),
  };
});

describe("PostgreSQL state", () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function database(): Promise<TestDatabase> {
    const created = await createTestDatabase();
    cleanups.push(() => created.drop());
    return created;
  }

  async function open(options: PostgresStateOptions): Promise<PostgresState> {
    const state = await createPostgresState(options);
    cleanups.push(() => state.close());
    return state;
  }

  async function proxyTo(url: string): Promise<FaultProxy> {
    const target = new URL(url);
    const proxy = await createFaultProxy({ host: target.hostname, port: Number(target.port) });
    cleanups.push(() => proxy.close());
    return proxy;
  }

  /** Polls `attempt` every 25 ms until it yields a value; the time it took, in milliseconds. */
  async function until<T>(attempt: () => Promise<T | undefined>, limitMs: number): Promise<{ value: T; ms: number }> {
    const started = Date.now();
    for (;;) {
      const value = await attempt();
      if (value !== undefined) return { value, ms: Date.now() - started };
      if (Date.now() - started > limitMs) throw new Error(`nothing after ${limitMs} ms`);
      await new Promise((done) => setTimeout(done, 25));
    }
  }

  /** How long `call` took to fail, and with what. */
  async function failure(call: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
    const started = Date.now();
    try {
      await call();
    } catch (error) {
      return { error, ms: Date.now() - started };
    }
    throw new Error("the call succeeded");
  }

  it("migrates once when several replicas start at once", async () => {
    const { url } = await database();
    const states = await Promise.all(Array.from({ length: 4 }, () => open({ url })));
    expect(states).toHaveLength(4);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query("SELECT name, version FROM schema_migrations ORDER BY version");
    await client.end();
    expect(rows).toEqual([{ name: "state", version: 1 }]);
  });

  it("frees the turn lock within seconds when the holding replica is killed with SIGKILL", async () => {
    const { url } = await database();
    const other = await open({ url });
    const holder: ChildProcess = spawn(process.execPath, [resolve(import.meta.dirname, "support/hold-turn.ts"), url, "p"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    cleanups.push(() => holder.kill("SIGKILL"));
    let output = "";
    await new Promise<void>((held, failed) => {
      holder.stdout!.on("data", (chunk) => {
        output += chunk;
        if (output.includes("held")) held();
      });
      holder.stderr!.on("data", (chunk) => {
        output += chunk;
      });
      holder.once("exit", (code) => failed(new Error(`holder exited with ${code}: ${output}`)));
    });
    expect(await other.tryAcquireTurn("p", { holder: "other" })).toBeUndefined();
    expect(await other.requestCancel("p", "probe")).toBe(true);
    holder.kill("SIGKILL");
    const { value: lease, ms } = await until(() => other.tryAcquireTurn("p", { holder: "other" }), 5000);
    expect(ms).toBeLessThan(2000);
    expect(lease.cancelled.aborted).toBe(false);
    await lease.release();
    // The dead replica's row is left behind, but no running turn is reported for it.
    expect(await other.requestCancel("p")).toBe(false);
  });

  it("aborts the holder's turns and frees the lock when the server ends the lock connection", async () => {
    const { url } = await database();
    const a = await open({ url, tag: "replica-a" });
    const b = await open({ url, tag: "replica-b" });
    const lease = (await a.tryAcquireTurn("p", { holder: "a" }))!;
    expect(await b.tryAcquireTurn("p", { holder: "b" })).toBeUndefined();
    const { rows } = await a.pool.query("SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = $1", [
      a.lockConnectionName,
    ]);
    expect(rows).toEqual([{ ended: true }]);
    await until(async () => (lease.cancelled.aborted ? true : undefined), 1000);
    expect((lease.cancelled.reason as Error).message).toMatch(/lost/);
    const { value: taken, ms } = await until(() => b.tryAcquireTurn("p", { holder: "b" }), 3000);
    expect(ms).toBeLessThan(1000);
    await lease.release();
    expect(await a.tryAcquireTurn("p", { holder: "a" })).toBeUndefined();
    await taken.release();
    // The instance opens a new lock connection for its next turn.
    const again = await a.tryAcquireTurn("p", { holder: "a" });
    expect(again).toBeDefined();
    await again!.release();
  });

  it("fails calls with StateUnavailableError within the deadline while the database stalls, and works after", async () => {
    const { url } = await database();
    const proxy = await proxyTo(url);
    const state = await open({ url: proxy.rewrite(url), timeoutMs: 1000 });
    const { user, token } = await state.createUser("alice");
    const lease = (await state.tryAcquireTurn("held", { holder: "before the stall" }))!;

    proxy.pause();
    const calls: Record<string, () => Promise<unknown>> = {
      authenticate: () => state.authenticate(token),
      listProjects: () => state.listProjects(user.id),
      createUser: () => state.createUser("bob"),
      appendMessage: () => state.appendMessage({ projectId: "p", turnId: "t", role: "user", text: "hi", toolCalls: [], artifacts: [] }),
      takeRateLimit: () => state.takeRateLimit("k", { capacity: 1, refillPerSecond: 1 }),
      tryAcquireTurn: () => state.tryAcquireTurn("p", { holder: "during the stall" }),
      requestCancel: () => state.requestCancel("p"),
    };
    const results = await Promise.all(Object.entries(calls).map(async ([name, call]) => ({ name, ...(await failure(call)) })));
    for (const result of results) {
      expect(result.error, result.name).toBeInstanceOf(StateUnavailableError);
      expect((result.error as StateUnavailableError).message).toMatch(/did not answer within 1 s/);
      expect((result.error as StateUnavailableError).retryAfterSeconds).toBeGreaterThan(0);
      expect(result.ms, result.name).toBeGreaterThanOrEqual(900);
      expect(result.ms, result.name).toBeLessThan(1600);
    }
    // The turn that held a lock on the stalled connection was told it lost it.
    expect(lease.cancelled.aborted).toBe(true);

    proxy.resume();
    const working = await until(() => state.authenticate(token).catch(() => undefined), 5000);
    expect(working.value.id).toBe(user.id);
    // Nothing the stalled calls were writing was committed: bob can be created, no message was kept.
    expect((await state.createUser("bob")).user.name).toBe("bob");
    expect(await state.listMessages("p")).toEqual([]);
    const turn = await state.tryAcquireTurn("p", { holder: "after" });
    expect(turn).toBeDefined();
    await turn!.release();
  });

  it("fails at once with StateUnavailableError while the database refuses connections, and works after", async () => {
    const { url } = await database();
    const proxy = await proxyTo(url);
    const state = await open({ url: proxy.rewrite(url), timeoutMs: 2000 });
    const { token } = await state.createUser("alice");
    await proxy.refuse();
    const { error, ms } = await failure(() => state.authenticate(token));
    expect(error).toBeInstanceOf(StateUnavailableError);
    expect(ms).toBeLessThan(1000);
    await proxy.accept();
    expect((await until(() => state.authenticate(token).catch(() => undefined), 5000)).value.name).toBe("alice");
  });

  it("says which database it cannot reach at start, without a password, within the deadline", async () => {
    const { url } = await database();
    const proxy = await proxyTo(url);
    await proxy.refuse();
    const target = new URL(proxy.rewrite(url));
    target.password = "hunter2";
    const { error, ms } = await failure(() => createPostgresState({ url: target.toString(), timeoutMs: 1000 }));
    expect(error).toBeInstanceOf(StateUnavailableError);
    expect((error as Error).message).toContain(`127.0.0.1:${proxy.port}`);
    expect((error as Error).message).not.toContain("hunter2");
    expect(ms).toBeLessThan(1500);
  });

  it("keeps a project whose running turn does not stop in time, and says so", async () => {
    const { url } = await database();
    const a = await open({ url });
    const b = await open({ url, turnStopTimeoutMs: 500 });
    const alice = (await a.createUser("alice")).user;
    const project = await a.createProject(alice.id, "stuck");
    const lease = (await a.tryAcquireTurn(project.id, { holder: "a turn that ignores cancels" }))!;
    const { error, ms } = await failure(() => b.deleteProject(project.id));
    expect(error).toBeInstanceOf(TurnStillRunningError);
    expect(ms).toBeLessThan(1500);
    expect(lease.cancelled.aborted).toBe(true);
    expect(await b.getProject(alice.id, project.id)).toEqual(project);
    await lease.release();
    expect(await b.deleteProject(project.id)).toBe(true);
  });
});
