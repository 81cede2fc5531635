// End-to-end: tool calls that carry idempotency keys are applied exactly once through the runtime,
// with real sandboxed workers and real Blender, while a kill loop SIGKILLs the worker process (or
// Blender) under a stream of keyed add_object calls from the official MCP client, and across idle
// drains. At the end every call has its real result (no 502, no error), and the scene holds exactly
// one object per call: none lost, none twice.
//
// The kill loop and the stream pace each other, not a clock, so they behave the same on a busy
// machine: each kill waits until the worker that replaced the last victim has answered a call, the
// call it aims at is held until the kill is armed, and the kill fires a few milliseconds (0 to 8,
// in turn) after that call is sent, so it lands before, during or just after its change is
// journaled.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { CallToolResult, Client } from "@modelcontextprotocol/client";
import { afterEach, describe, expect, it } from "vitest";
import { findDescendants, type Harness, instance, startHarness, structured, waitFor } from "./harness.ts";

const BLENDER_COMMAND = /^\S*blender\s/;
const WORKER_PROCESS = /main\.ts worker/;
const KEY = "bod/idempotencyKey";

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

interface Tally {
  calls: number;
  acknowledged: number;
  /** Calls answered with the first attempt's result (`bod/repeated`): the change had been applied before the worker died. */
  repeated: number;
  /** Errors and thrown failures: for keyed calls, each is an ambiguous outcome. */
  failures: string[];
  kills: number;
  /** Kills that landed while a call was waiting for its answer. */
  midCall: number;
}

/** One keyed add_object of a cube at x = `index`; its result, or why it failed. */
async function addKeyed(client: Client, index: number, key: string): Promise<CallToolResult | string> {
  try {
    const result = (await client.callTool({
      name: "add_object",
      arguments: { type: "cube", location: [index, 0, 0], scale: 0.2 },
      _meta: { [KEY]: key },
    })) as CallToolResult;
    if (result.isError) return `call ${index}: ${JSON.stringify(result.content)}`;
    return result;
  } catch (error) {
    return `call ${index}: ${String(error)}`;
  }
}

/** The x of every object in the scene, in order. */
async function objectXs(client: Client): Promise<number[]> {
  const scene = structured(await client.callTool({ name: "get_scene", arguments: { limit: 500 } })) as {
    objects: { location: number[] }[];
  };
  return scene.objects.map((object) => Math.round(object.location[0] ?? Number.NaN)).sort((a, b) => a - b);
}

/** A promise with its resolve function. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** Milliseconds from sending a call to its kill, in turn: before it reaches Blender, while Blender runs it, as it is journaled. */
const KILL_DELAYS_MS = [0, 2, 4, 6, 8, 3];

/**
 * Runs `calls` keyed add_object calls one after another while `kills` kills fire, the k-th aimed at
 * call `firstTarget + k * spacing`. The stream holds each aimed-at call until the kill is armed:
 * the previous victim's replacement has answered a call and `victim` has found the pid to kill.
 * The kill then fires KILL_DELAYS_MS[k] after the call is sent, or, with `journal`, for three kills
 * in four, as soon as the call's key is in the journal (its change is durable, its answer not yet sent).
 */
async function streamUnderKills(
  client: Client,
  options: {
    calls: number;
    kills: number;
    firstTarget: number;
    spacing: number;
    victim: () => Promise<number>;
    /** The project's journal file, where kills 1 to 3 of every 4 wait for their call's key. */
    journal?: () => string;
  },
): Promise<Tally> {
  const run = randomUUID();
  const keyOf = (index: number) => `stream-${index}-${run}`;
  const tally: Tally = { calls: options.calls, acknowledged: 0, repeated: 0, failures: [], kills: 0, midCall: 0 };
  const targets = Array.from({ length: options.kills }, (_, kill) => options.firstTarget + kill * options.spacing);
  const armed = new Map(targets.map((target) => [target, deferred()]));
  const sent = Array.from({ length: options.calls }, () => deferred());
  const answered = Array.from({ length: options.calls }, () => deferred());
  const done: boolean[] = [];
  const stream = (async () => {
    for (let index = 0; index < options.calls; index++) {
      await armed.get(index)?.promise;
      sent[index]?.resolve();
      const outcome = await addKeyed(client, index, keyOf(index));
      done[index] = true;
      answered[index]?.resolve();
      if (typeof outcome === "string") tally.failures.push(outcome);
      else {
        tally.acknowledged += 1;
        if (outcome._meta?.["bod/repeated"] === true) tally.repeated += 1;
      }
    }
  })();
  const killer = (async () => {
    for (const [kill, target] of targets.entries()) {
      // The worker serving now has answered a call since the last kill: its pid is the one to kill.
      await answered[target - 1]?.promise;
      const pid = await options.victim();
      armed.get(target)?.resolve();
      await sent[target]?.promise;
      const journal = options.journal;
      if (journal && kill % 4 !== 0) await journaled(journal(), keyOf(target), () => done[target] === true);
      else await new Promise((resolve) => setTimeout(resolve, KILL_DELAYS_MS[kill % KILL_DELAYS_MS.length]));
      if (!done[target]) tally.midCall += 1;
      try {
        process.kill(pid, "SIGKILL");
        tally.kills += 1;
      } catch {
        // Gone already (something else ended it): not counted, so the test says so.
      }
    }
  })();
  await Promise.all([stream, killer]);
  return tally;
}

/** Resolves once `key` is in the journal file at `path` (read every millisecond), or `gaveUp()` says to stop looking. */
async function journaled(path: string, key: string, gaveUp: () => boolean): Promise<void> {
  while (!gaveUp()) {
    if ((await readFile(path, "utf8").catch(() => "")).includes(`"key":${JSON.stringify(key)}`)) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Lost: calls acknowledged but not in the scene; duplicated: objects beyond one per call. */
function account(xs: number[], calls: number) {
  const counts = new Map<number, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  let lost = 0;
  let duplicated = 0;
  for (let index = 0; index < calls; index++) {
    const count = counts.get(index) ?? 0;
    if (count === 0) lost += 1;
    if (count > 1) duplicated += count - 1;
  }
  const strays = xs.filter((x) => x < 0 || x >= calls).length;
  return { lost, duplicated: duplicated + strays };
}

function report(what: string, tally: Tally, counted: { lost: number; duplicated: number }) {
  console.info(
    `[exactly-once] ${what}: calls ${tally.calls}, kills ${tally.kills} (${tally.midCall} mid-call), ` +
      `answered with the first result ${tally.repeated}, lost ${counted.lost}, duplicated ${counted.duplicated}, ambiguous ${tally.failures.length}`,
  );
}

async function workerPid(h: Harness, projectId: string): Promise<number> {
  const root = await waitFor(async () => {
    const info = await instance(h, projectId);
    return info?.state === "ready" ? info.pid : undefined;
  }, "a ready worker");
  // Sandboxed, the worker is a child of bwrap; otherwise it is the instance's root process.
  return (await findDescendants(root, WORKER_PROCESS))[0] ?? root;
}

async function blenderPid(h: Harness, projectId: string): Promise<number> {
  return waitFor(async () => {
    const info = await instance(h, projectId);
    if (info?.state !== "ready" || info.pid === undefined) return undefined;
    return (await findDescendants(info.pid, BLENDER_COMMAND))[0];
  }, "a running Blender");
}

describe("exactly-once tool calls through the runtime", { timeout: 300_000 }, () => {
  it("applies every keyed call once while the worker process is killed with SIGKILL under the stream", async () => {
    harness = await startHarness();
    const h = harness;
    const client = await h.connect("once-worker");
    const tally = await streamUnderKills(client, {
      calls: 36,
      kills: 5,
      firstTarget: 3,
      spacing: 7,
      victim: () => workerPid(h, "once-worker"),
      journal: () => join(h.runtime.projectDirOf("once-worker"), "scene", "journal.jsonl"),
    });
    const counted = account(await objectXs(client), tally.calls);
    report("kill -9 of the worker", tally, counted);
    expect(tally.failures).toEqual([]);
    expect(tally.kills).toBe(5);
    expect(counted).toEqual({ lost: 0, duplicated: 0 });
    expect(tally.acknowledged).toBe(tally.calls);
    // Killed once their change was journaled, and before the answer left: answered with the first result.
    expect(tally.repeated).toBeGreaterThanOrEqual(1);
    expect((await instance(h, "once-worker"))?.startsTotal).toBe(6);
  });

  it("applies every keyed call once while Blender is killed with SIGKILL under the stream", async () => {
    harness = await startHarness();
    const h = harness;
    const client = await h.connect("once-blender");
    const tally = await streamUnderKills(client, {
      calls: 36,
      kills: 6,
      firstTarget: 3,
      spacing: 5,
      victim: () => blenderPid(h, "once-blender"),
    });
    const counted = account(await objectXs(client), tally.calls);
    report("kill -9 of Blender", tally, counted);
    expect(tally.failures).toEqual([]);
    expect(tally.kills).toBe(6);
    expect(counted).toEqual({ lost: 0, duplicated: 0 });
    expect(tally.acknowledged).toBe(tally.calls);
    // Blender was restarted inside the one worker.
    expect((await instance(h, "once-blender"))?.startsTotal).toBe(1);
  });

  it("applies every keyed call once across idle drains, and answers a key sent again after a drain with the first result", async () => {
    harness = await startHarness({ idleTimeoutMs: 1_000 });
    const h = harness;
    const client = await h.connect("once-drain");
    const tally: Tally = { calls: 0, acknowledged: 0, repeated: 0, failures: [], kills: 0, midCall: 0 };
    const firstResults = new Map<string, CallToolResult>();
    const send = async (index: number, key: string) => {
      tally.calls += 1;
      const outcome = await addKeyed(client, index, key);
      if (typeof outcome === "string") return void tally.failures.push(outcome);
      tally.acknowledged += 1;
      if (outcome._meta?.["bod/repeated"] === true) {
        tally.repeated += 1;
        expect(outcome.structuredContent).toEqual(firstResults.get(key)?.structuredContent);
      } else firstResults.set(key, outcome);
    };
    let index = 0;
    const keys: string[] = [];
    for (let round = 0; round < 3; round++) {
      // A few calls one after another and a few at once.
      for (let one = 0; one < 3; one++) {
        keys[index] = `drain-${index}-${randomUUID()}`;
        await send(index, keys[index] as string);
        index += 1;
      }
      const together = [index, index + 1, index + 2];
      for (const at of together) keys[at] = `drain-${at}-${randomUUID()}`;
      await Promise.all(together.map((at) => send(at, keys[at] as string)));
      index += together.length;
      // The worker goes idle and drains; calls sent as the drain starts are held for the next worker.
      await waitFor(async () => (await instance(h, "once-drain"))?.state !== "ready", "drain start", 20_000);
      keys[index] = `drain-${index}-${randomUUID()}`;
      await Promise.all([send(index, keys[index] as string), send(index - 1, keys[index - 1] as string)]);
      index += 1;
      await waitFor(async () => (await instance(h, "once-drain"))?.state === "stopped", "drained", 30_000);
      // A client whose answers were lost sends every key of the round again to a fresh worker.
      const round0 = index - 7;
      await Promise.all(Array.from({ length: 7 }, (_, offset) => send(round0 + offset, keys[round0 + offset] as string)));
    }
    const counted = account(await objectXs(client), index);
    report("idle drains", tally, counted);
    expect(tally.failures).toEqual([]);
    expect(counted).toEqual({ lost: 0, duplicated: 0 });
    // Every key sent twice came back with the first result: 1 racing the drain and 7 after it, per round.
    expect(tally.repeated).toBe(3 * 8);
    expect((await instance(h, "once-drain"))?.startsTotal).toBeGreaterThanOrEqual(4);
  });
});
