// End-to-end tier: run_script in a real `bod worker --allow-scripts` with real Blender. A script
// changes the scene, which survives kill -9 of Blender and of the worker, and a drained worker
// (scale to zero). Then scripts try to escape: other projects' and the host's files, the worker's
// environment, the network, a fork bomb, an endless loop, a memory hog, a flood of output, writes
// outside the scratch folder and scene files that point outside the scene. Each attempt prints what
// it tried, so the test proves it ran, and each one fails.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import { getScene, RESULT_META_KEYS, runScript, SCRIPT_LIMITS } from "@bod/contracts";
import type { CallToolResult, Client } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_ENTRY, connectClient, makeTempDir, removeDir, startWorkerProcess, type WorkerProcess } from "./support/worker-process.ts";

const SECRET = `bod-secret-${Math.random().toString(36).slice(2)}`;
const SCRIPT_ENV = { BOD_WORKER_ISOLATION: "bubblewrap", BOD_TEST_SECRET: SECRET, AWS_SECRET_ACCESS_KEY: SECRET };

async function objectNames(client: Client): Promise<string[]> {
  const result = (await client.callTool({ name: "get_scene", arguments: {} })) as CallToolResult;
  return getScene.outputSchema
    .parse(result.structuredContent)
    .objects.map((object) => object.name)
    .sort();
}

type ScriptAnswer =
  | { ok: true; result: ReturnType<typeof runScript.outputSchema.parse> }
  | { ok: false; code: string; text: string; data: Record<string, unknown> };

async function run(client: Client, code: string, timeoutSeconds?: number): Promise<ScriptAnswer> {
  const answer = (await client.callTool(
    { name: "run_script", arguments: { code, ...(timeoutSeconds ? { timeoutSeconds } : {}) } },
    { timeout: 120_000 },
  )) as CallToolResult;
  if (answer.isError) {
    const text = answer.content.map((part) => (part.type === "text" ? part.text : "")).join("\n");
    return {
      ok: false,
      code: String(answer._meta?.[RESULT_META_KEYS.errorCode]),
      text,
      data: (answer._meta?.[RESULT_META_KEYS.errorData] ?? {}) as Record<string, unknown>,
    };
  }
  return { ok: true, result: runScript.outputSchema.parse(answer.structuredContent) };
}

function ok(answer: ScriptAnswer) {
  if (!answer.ok) throw new Error(`run_script failed: ${answer.code}: ${answer.text}`);
  return answer.result;
}

async function blenderPid(worker: WorkerProcess): Promise<number> {
  return ((await (await fetch(`${worker.url}/healthz`)).json()) as { blenderPid: number }).blenderPid;
}

describe("run_script is offered only where the operator allows it", () => {
  it("is not listed without --allow-scripts", async () => {
    const worker = await startWorkerProcess();
    try {
      const client = await connectClient(worker, "run-script-test");
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain("get_scene");
      expect(tools.map((tool) => tool.name)).not.toContain("run_script");
      await client.close();
    } finally {
      await worker.stop();
      await removeDir(worker.dataDir);
    }
  });

  it("refuses --allow-scripts in a worker nothing isolates, naming what it needs", async () => {
    const dataDir = await makeTempDir();
    const { BOD_WORKER_ISOLATION: _, ...env } = process.env;
    const child = spawn(process.execPath, [CLI_ENTRY, "worker", "--port", "0", "--data-dir", dataDir, "--allow-scripts"], {
      stdio: ["ignore", "pipe", "pipe"],
      env,
    });
    const { code, stderr } = await exited(child);
    await removeDir(dataDir);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--allow-scripts needs an isolated worker/);
    expect(stderr).toMatch(/BOD_WORKER_ISOLATION/);
  });
});

describe("run_script in a sandbox", () => {
  let root: string;
  let worker: WorkerProcess;
  let client: Client;
  let otherProject: string;

  beforeAll(async () => {
    root = await makeTempDir("bod-script-test-");
    // The layout of a data dir: this project's folder beside another project's.
    const dataDir = join(root, "projects", "mine");
    otherProject = join(root, "projects", "other");
    await mkdir(dataDir, { recursive: true });
    await mkdir(otherProject, { recursive: true });
    await writeFile(join(otherProject, "secret.txt"), SECRET);
    worker = await startWorkerProcess({ dataDir, extraArgs: ["--allow-scripts"], env: SCRIPT_ENV });
    client = await connectClient(worker, "run-script-test");
  });

  afterAll(async () => {
    await client?.close();
    await worker?.stop();
    if (root) await removeDir(root);
  });

  it("changes the scene, returns output and result, and the change survives kill -9 and a restart", async () => {
    const listed = (await client.listTools()).tools.find((tool) => tool.name === "run_script");
    expect(listed?.inputSchema.properties).toHaveProperty("code");
    const before = await objectNames(client);
    const result = ok(
      await run(
        client,
        [
          "import bpy",
          "mesh = bpy.data.meshes.new('TriMesh')",
          "mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])",
          "obj = bpy.data.objects.new('Scripted', mesh)",
          "bpy.context.scene.collection.objects.link(obj)",
          "print('made', obj.name)",
          "result = {'vertices': len(mesh.vertices)}",
        ].join("\n"),
      ),
    );
    expect(result.output).toBe("made Scripted\n");
    expect(result.outputTruncated).toBe(false);
    expect(JSON.parse(result.result ?? "null")).toEqual({ vertices: 3 });
    expect(result.objects).toContain("Scripted");
    expect(await objectNames(client)).toEqual([...before, "Scripted"].sort());

    // Blender dies: the restore loads the kept scene file, it does not run the code again.
    const pid = await blenderPid(worker);
    process.kill(pid, "SIGKILL");
    let names: string[] = [];
    for (let attempt = 0; attempt < 5 && !names.includes("Scripted"); attempt++) names = await objectNames(client).catch(() => []);
    expect(names).toContain("Scripted");
    expect(await blenderPid(worker)).not.toBe(pid);
  });

  it("fails cleanly when the code raises: the traceback comes back, the scene is unchanged", async () => {
    const before = await objectNames(client);
    const answer = await run(client, "import bpy\nbpy.ops.mesh.primitive_cube_add()\nprint('about to fail')\nraise ValueError('nope')");
    expect(answer.ok).toBe(false);
    if (answer.ok) return;
    expect(answer.code).toBe("script_failed");
    expect(answer.text).toMatch(/ValueError: nope/);
    expect(String(answer.data.output)).toMatch(/about to fail/);
    expect(await objectNames(client)).toEqual(before);
  });

  it("cannot read other projects' files, the data dir or the host's files", async () => {
    // A file of the host's user (where the test may write one), beside the host's own.
    const hostFile = join(homedir(), `.bod-script-test-${process.pid}`);
    const wroteHostFile = await writeFile(hostFile, SECRET).then(
      () => true,
      () => false,
    );
    const targets = [
      join(otherProject, "secret.txt"),
      otherProject,
      worker.dataDir,
      join(root, "projects"),
      "/etc/shadow",
      "/etc/passwd",
      "/proc/1/environ",
      "/home",
      ...(wroteHostFile ? [hostFile] : []),
    ];
    const code = `
import os
for path in ${JSON.stringify(targets)}:
    try:
        if os.path.isdir(path):
            print("LISTED", path, os.listdir(path))
        else:
            with open(path) as handle:
                print("READ", path, handle.read(200))
    except OSError as error:
        print("DENIED", path, type(error).__name__)
`;
    const result = await run(client, code).finally(() => rm(hostFile, { force: true }));
    for (const target of targets) expect(ok(result).output).toContain(`DENIED ${target} `);
    expect(ok(result).output).not.toContain(SECRET);
  });

  it("sees none of the worker's environment", async () => {
    const result = ok(await run(client, "import os\nprint('ENV', sorted(os.environ))\nprint('VALUES', list(os.environ.values()))"));
    expect(result.output).toMatch(/^ENV \[/m);
    expect(result.output).not.toContain(SECRET);
    expect(result.output).not.toMatch(/BOD_TEST_SECRET|AWS_|BOD_WORKER_ISOLATION/);
  });

  it("has no network: a server on the host's loopback never sees a connection", async () => {
    let connections = 0;
    const server: Server = createServer((socket) => {
      connections += 1;
      socket.end("hello");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    try {
      const code = `
import socket
for host in ["127.0.0.1", "localhost", "1.1.1.1"]:
    try:
        with socket.create_connection((host, ${port}), timeout=2) as s:
            print("CONNECTED", host, s.recv(10))
    except OSError as error:
        print("REFUSED", host, type(error).__name__)
`;
      const result = ok(await run(client, code));
      expect(result.output).toMatch(/REFUSED 127\.0\.0\.1 /);
      expect(result.output).toMatch(/REFUSED localhost /);
      expect(result.output).toMatch(/REFUSED 1\.1\.1\.1 /);
      expect(result.output).not.toContain("CONNECTED");
      expect(connections).toBe(0);
    } finally {
      server.close();
    }
  });

  it("cannot start processes: a fork bomb gets nowhere and the worker keeps serving", async () => {
    const code = `
import os, subprocess
made = 0
for _ in range(2000):
    try:
        pid = os.fork()
        if pid == 0:
            while True:
                pass
        made += 1
    except OSError as error:
        last = type(error).__name__
print("FORKED", made, last)
try:
    subprocess.run(["/usr/bin/true"])
    print("SPAWNED")
except OSError as error:
    print("NO SUBPROCESS", type(error).__name__)
`;
    const result = ok(await run(client, code));
    expect(result.output).toContain("FORKED 0 BlockingIOError");
    expect(result.output).toContain("NO SUBPROCESS");
    expect(await objectNames(client)).toContain("Scripted");
  });

  it("stops an endless loop at its time limit, says so, and leaves the scene unchanged", async () => {
    const before = await objectNames(client);
    const startedAt = performance.now();
    const answer = await run(
      client,
      "import bpy\nbpy.ops.mesh.primitive_cube_add()\nprint('looping', flush=True)\nwhile True:\n    pass",
      2,
    );
    const elapsed = performance.now() - startedAt;
    expect(answer.ok).toBe(false);
    if (answer.ok) return;
    expect(answer.code).toBe("timeout");
    expect(answer.text).toMatch(/time limit of 2 s/);
    expect(String(answer.data.output)).toContain("looping");
    expect(elapsed).toBeLessThan(15_000);
    expect(await objectNames(client)).toEqual(before);
  });

  it("runs out of memory at the limit, and the worker keeps serving", async () => {
    const before = await objectNames(client);
    const answer = await run(client, "print('allocating', flush=True)\nhog = bytearray(8 * 1024 * 1024 * 1024)\nprint('ALLOCATED')");
    expect(answer.ok).toBe(false);
    if (answer.ok) return;
    expect(answer.code).toBe("script_failed");
    expect(answer.text).toMatch(/MemoryError/);
    expect(String(answer.data.output)).toContain("allocating");
    expect(String(answer.data.output)).not.toContain("ALLOCATED");
    expect(await objectNames(client)).toEqual(before);
  });

  it("cuts a flood of output at the limit and counts the rest", async () => {
    const result = ok(
      await run(client, "import sys\nline = 'x' * 99 + '\\n'\nfor _ in range(200000):\n    sys.stdout.write(line)\nprint('END')"),
    );
    expect(result.outputTruncated).toBe(true);
    expect(Buffer.byteLength(result.output)).toBe(SCRIPT_LIMITS.maxOutputBytes);
    expect(result.outputBytes).toBe(200000 * 100 + 4);
  });

  it("cannot write outside its scratch folder", async () => {
    const targets = [
      join(worker.dataDir, "planted.txt"),
      join(otherProject, "planted.txt"),
      "/tmp/planted.txt",
      "/usr/planted.txt",
      "/planted.txt",
      "/dev/shm/planted.txt",
    ];
    const code = `
import os
for path in ${JSON.stringify(targets)}:
    try:
        with open(path, "w") as handle:
            handle.write("planted")
        print("WROTE", path)
    except OSError as error:
        print("DENIED", path, type(error).__name__)
with open("inside.txt", "w") as handle:
    handle.write("fine")
print("SCRATCH", os.getcwd(), os.path.exists("inside.txt"))
`;
    const result = ok(await run(client, code));
    for (const target of targets) {
      expect(result.output).toContain(`DENIED ${target} `);
      expect(existsSync(target)).toBe(false);
    }
    expect(result.output).toContain("SCRATCH /scratch True");
  });

  it("keeps no scene that points at files outside it, and the scene stays as it was", async () => {
    const before = await objectNames(client);
    const code = `
import bpy
bpy.ops.mesh.primitive_cube_add()
image = bpy.data.images.new("Leak", 4, 4)
image.source = "FILE"
image.filepath = ${JSON.stringify(join(otherProject, "secret.txt"))}
# A user of its own, so that the image is saved with the scene.
image.use_fake_user = True
print("pointed")
`;
    const answer = await run(client, code);
    expect(answer.ok).toBe(false);
    if (answer.ok) return;
    expect(answer.code).toBe("script_failed");
    expect(answer.text).toMatch(/refers to files outside the scene/);
    expect(answer.text).toContain(join(otherProject, "secret.txt"));
    expect(await objectNames(client)).toEqual(before);
  });
});

describe("a script's scene across worker restarts", () => {
  it("survives kill -9 of the worker (journal replay) and a drain (snapshot)", async () => {
    const dataDir = await makeTempDir();
    let worker = await startWorkerProcess({ dataDir, extraArgs: ["--allow-scripts"], env: SCRIPT_ENV });
    try {
      let client = await connectClient(worker, "run-script-test");
      ok(await run(client, "import bpy\nbpy.ops.mesh.primitive_torus_add()\nbpy.context.object.name = 'Ring'"));
      await client.close();
      // No drain, no snapshot: the worker and its Blender die at once.
      const blender = await blenderPid(worker);
      worker.child.kill("SIGKILL");
      await new Promise((resolve) => worker.child.once("exit", resolve));
      await waitUntilGone(blender);

      worker = await startWorkerProcess({ dataDir, extraArgs: ["--allow-scripts"], env: SCRIPT_ENV });
      client = await connectClient(worker, "run-script-test");
      expect(await objectNames(client)).toContain("Ring");
      await client.close();
      await worker.stop();

      // Scripts may be off now: the scene the script made is just the scene.
      worker = await startWorkerProcess({ dataDir });
      client = await connectClient(worker, "run-script-test");
      expect(await objectNames(client)).toContain("Ring");
      await client.close();
    } finally {
      await worker.stop();
      await removeDir(dataDir);
    }
  });
});

function exited(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stderr })));
}

async function waitUntilGone(pid: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
