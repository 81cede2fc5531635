// Unit tier: the Blender supervisor against a stand-in Blender (testing/fake-blender.ts, a real
// child process speaking the bridge protocol), so every failure path runs in milliseconds.
import type { ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { PassThrough } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { type BlenderProcessOptions, createBlenderProcess, type SpawnFunction } from "./blender-process.ts";
import { failure, fakeBlenderSpawn } from "./testing/test-support.ts";

const logger = pino({ level: "silent" });

function fakeProcess(mode = "normal", extra: Partial<BlenderProcessOptions> = {}) {
  return createBlenderProcess({ logger, spawn: fakeBlenderSpawn(mode), forceKillAfterMs: 300, ...extra });
}

/** A Blender whose pipes are in-process streams, so a test decides how the bytes are chunked. */
function pipedBlender() {
  const pipes = { stdout: new PassThrough(), stderr: new PassThrough(), requests: new PassThrough(), answers: new PassThrough() };
  const child = Object.assign(new EventEmitter(), {
    pid: 4242,
    stdout: pipes.stdout,
    stderr: pipes.stderr,
    stdio: [null, pipes.stdout, pipes.stderr, pipes.requests, pipes.answers],
    kill: () => {
      setImmediate(() => child.emit("exit", null, "SIGTERM"));
      return true;
    },
  });
  const spawn: SpawnFunction = () => child as unknown as ChildProcess;
  return { spawn, pipes };
}

describe("the bridge channel", () => {
  it("reads answers split across chunks, several in one chunk, and with CRLF line ends", async () => {
    const { spawn, pipes } = pipedBlender();
    const seen: string[] = [];
    const lines = pino({ level: "debug" }, { write: (line: string) => seen.push(JSON.parse(line).msg) });
    const blender = createBlenderProcess({ logger: lines, spawn });
    const started = blender.start();
    pipes.answers.write('{"event":"ready","blender');
    pipes.answers.write('Version":"4.2"}\r\n');
    expect((await started).blenderVersion).toBe("4.2");
    const first = blender.call("ping", {});
    const second = blender.call("ping", {});
    const third = blender.call("ping", {});
    // The calls go out one at a time; answer each as its request arrives.
    const requests: number[] = [];
    pipes.requests.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n").filter(Boolean)) requests.push((JSON.parse(line) as { id: number }).id);
    });
    await expect.poll(() => requests.length).toBe(1);
    pipes.answers.write(
      `{"id":${requests[0]},"ok":true,"result":{"n":1}}\n{"event":"progress","id":99,"progress":1,"total":2,"message":"x"}\n{"id"`,
    );
    await expect(first).resolves.toEqual({ n: 1 });
    await expect.poll(() => requests.length).toBe(2);
    pipes.answers.write(`:${requests[1]},"ok":true,"result":{"n":2}}\n`);
    await expect(second).resolves.toEqual({ n: 2 });
    await expect.poll(() => requests.length).toBe(3);
    // A character split between two chunks.
    const bytes = Buffer.from(`{"id":${requests[2]},"ok":true,"result":{"n":"é…"}}\r\n`);
    const split = bytes.indexOf(Buffer.from("é")) + 1;
    pipes.answers.write(bytes.subarray(0, split));
    pipes.answers.write(bytes.subarray(split));
    await expect(third).resolves.toEqual({ n: "é…" });
    pipes.stderr.write("Fra:1 Sample 1/32\nlast words without a newline");
    pipes.stderr.end();
    await expect.poll(() => seen).toEqual(expect.arrayContaining(["Fra:1 Sample 1/32", "last words without a newline"]));
    expect(seen).not.toContain("bridge sent a line that is not JSON");
  });
});

// Each test starts real child processes; a busy machine can make that slow.
describe("createBlenderProcess", { timeout: 30_000 }, () => {
  it("starts Blender in background mode with the bridge and answers calls", async () => {
    const seen: { command?: string; args?: readonly string[] } = {};
    const blender = createBlenderProcess({
      logger,
      spawn: fakeBlenderSpawn("normal", seen),
      blenderPath: "/opt/blender/blender",
      bridgeScriptPath: "/x/bridge.py",
    });
    const ready = await blender.start();
    expect(ready.blenderVersion).toBe("fake");
    expect(seen.command).toBe("/opt/blender/blender");
    expect(seen.args).toEqual(["-b", "--factory-startup", "--disable-autoexec", "--python-exit-code", "1", "--python", "/x/bridge.py"]);
    expect(blender.state).toBe("ready");
    await expect(blender.call("ping", {})).resolves.toMatchObject({ pong: true });
    const [a, b] = await Promise.all([blender.call("add_object", { n: 1 }), blender.call("add_object", { n: 2 })]);
    expect(a).toEqual({ command: "add_object", args: { n: 1 } });
    expect(b).toEqual({ command: "add_object", args: { n: 2 } });
    const exit = await blender.stop();
    expect(exit).toEqual({ code: 0, signal: null, forceKilled: false });
    expect(blender.state).toBe("exited");
  });

  it("turns a bridge error into a ToolError with the bridge's code and data", async () => {
    const blender = fakeProcess();
    await blender.start();
    const error = await failure(blender.call("get_scene", {}));
    expect(error.code).toBe("object_not_found");
    expect(error.data).toEqual({ existing: [] });
    await blender.stop();
  });

  it("reports a hang as a timeout and stops Blender", async () => {
    const blender = fakeProcess();
    await blender.start();
    const error = await failure(blender.call("add_object", { hang: true }, { timeoutMs: 100 }));
    expect(error.code).toBe("timeout");
    expect((await blender.exited).signal).toBe("SIGTERM");
    expect((await failure(blender.call("ping", {}))).code).toBe("blender_unavailable");
  });

  it("force-kills a Blender that ignores SIGTERM and says so", async () => {
    const blender = fakeProcess("ignore-sigterm");
    await blender.start();
    const error = await failure(blender.call("add_object", { hang: true }, { timeoutMs: 100 }));
    expect(error.code).toBe("timeout");
    expect(error.data?.forceKilled).toBe(true);
    expect(await blender.exited).toMatchObject({ signal: "SIGKILL", forceKilled: true });
  });

  it("reports a crash during a call, and fails the calls queued behind it", async () => {
    const blender = fakeProcess();
    await blender.start();
    const crashing = failure(blender.call("add_object", { crash: true }));
    const queued = failure(blender.call("ping", {}));
    expect((await crashing).code).toBe("blender_crashed");
    expect((await crashing).message).toContain("exited with code 3");
    expect((await queued).code).toBe("blender_crashed");
  });

  it("reports a Blender that cannot start: missing, exits early, or never ready", async () => {
    const missing = createBlenderProcess({ logger, blenderPath: "/nonexistent/blender" });
    const notFound = await failure(missing.start());
    expect(notFound.code).toBe("blender_unavailable");
    expect(notFound.message).toContain("not found");

    const early = await failure(fakeProcess("exit-before-ready").start());
    expect(early.code).toBe("blender_unavailable");
    expect(early.message).toContain("exited with code 7 before it was ready");
    expect(early.message).toContain("a line on stderr");

    const silent = fakeProcess("never-ready", { readyTimeoutMs: 300 });
    const late = await failure(silent.start());
    expect(late.code).toBe("blender_unavailable");
    expect(late.message).toContain("did not become ready");
    await silent.exited;
  });

  it("cancels a queued call without running it and breaks a running render with SIGINT", async () => {
    const blender = fakeProcess();
    await blender.start();
    const progress: { progress: number; total: number; message: string }[] = [];
    const renderAbort = new AbortController();
    const render = failure(
      blender.call(
        "render_frame",
        { engine: "eevee", durationMs: 5_000 },
        { signal: renderAbort.signal, onProgress: (p) => progress.push(p) },
      ),
    );
    const queuedAbort = new AbortController();
    const queued = failure(blender.call("ping", {}, { signal: queuedAbort.signal }));
    queuedAbort.abort();
    expect((await queued).code).toBe("cancelled");
    await new Promise((resolve) => setTimeout(resolve, 300));
    const cancelledAt = performance.now();
    renderAbort.abort();
    expect((await render).code).toBe("cancelled");
    expect(performance.now() - cancelledAt).toBeLessThan(100);
    // Blender stays up and serves the next call once the render has stopped.
    await expect(blender.call("ping", {})).resolves.toMatchObject({ pong: true });
    expect(blender.state).toBe("ready");
    expect(progress).toContainEqual({ progress: 0, total: 4, message: "rendering" });
    expect(progress).toContainEqual({ progress: 1, total: 4, message: "sample 1 of 4" });
    await blender.stop();
  });

  it("stops Blender to cancel a Cycles render", async () => {
    const blender = fakeProcess();
    await blender.start();
    const abort = new AbortController();
    const render = failure(blender.call("render_frame", { engine: "cycles", durationMs: 5_000 }, { signal: abort.signal }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    abort.abort();
    const error = await render;
    expect(error.code).toBe("cancelled");
    expect(error.data?.blenderStopped).toBe(true);
    expect((await blender.exited).signal).toBe("SIGTERM");
  });
});
