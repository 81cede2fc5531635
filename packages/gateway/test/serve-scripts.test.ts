// `bod serve --allow-scripts` on shared stores (PostgreSQL and S3), where workers run in bubblewrap
// with the host's network and the stores' keys in their environment: the script's nested sandbox has
// neither, cannot see the worker's own project folder, and the scene it leaves survives the worker
// scaling to zero (restored from the stores by the next worker). Without a worker sandbox the flag
// is refused at start.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestBucket, createTestDatabase, type TestBucket, type TestDatabase } from "@bod/testing";
import { type CallToolResult, Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiClient } from "./support/api-client.ts";
import { runBod, type ServeProcess, startServeProcess } from "./support/serve-process.ts";

let database: TestDatabase;
let bucket: TestBucket;
let serve: ServeProcess;
let projectId: string;

async function connect(): Promise<Client> {
  const client = new Client({ name: "serve-scripts-e2e", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${serve.url}/projects/${projectId}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${serve.runtimeToken}` } },
    }),
  );
  return client;
}

async function names(client: Client): Promise<string[]> {
  const result = (await client.callTool({ name: "get_scene", arguments: {} })) as CallToolResult;
  return (result.structuredContent as { objects: Array<{ name: string }> }).objects.map((object) => object.name).sort();
}

beforeAll(async () => {
  [database, bucket] = await Promise.all([createTestDatabase(), createTestBucket()]);
  serve = await startServeProcess({
    idleTimeoutSeconds: 2,
    extraArgs: ["--allow-scripts", "--sandbox", "on", "--state-url", database.url, "--artifact-url", bucket.url],
  });
  const user = createApiClient(serve.url, serve.signInToken);
  projectId = (await user.json<{ id: string }>("/api/projects", { method: "POST", body: JSON.stringify({ name: "Scripts" }) })).id;
});

afterAll(async () => {
  await serve?.stop();
  await Promise.all([database?.drop(), bucket?.drop()]);
});

describe("bod serve --allow-scripts", () => {
  it("runs a script with no network, keys or project folder, and its scene survives scale to zero", async () => {
    const endpoint = new URL(new URL(bucket.url).searchParams.get("endpoint") as string);
    const client = await connect();
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain("run_script");
    const code = `
import bpy, os, socket
bpy.ops.mesh.primitive_monkey_add()
bpy.context.object.name = "Scripted"
print("KEYS", sorted(os.environ))
for path in ["/tmp/bod/project", "/tmp/bod"]:
    try:
        print("LISTED", path, os.listdir(path))
    except OSError as error:
        print("DENIED", path, type(error).__name__)
try:
    socket.create_connection(("${endpoint.hostname}", ${endpoint.port}), timeout=2)
    print("CONNECTED")
except OSError as error:
    print("REFUSED", type(error).__name__)
`;
    const answer = (await client.callTool({ name: "run_script", arguments: { code } }, { timeout: 120_000 })) as CallToolResult;
    expect(answer.isError, JSON.stringify(answer.content)).toBeFalsy();
    const output = (answer.structuredContent as { output: string }).output;
    expect(output).toMatch(/^KEYS \[/m);
    expect(output).not.toMatch(/AWS_|PGPASSWORD|BOD_STATE_URL|BOD_ARTIFACT_URL/);
    expect(output).toContain("DENIED /tmp/bod/project ");
    expect(output).toContain("DENIED /tmp/bod ");
    expect(output).toMatch(/^REFUSED /m);
    expect(output).not.toContain("CONNECTED");
    expect(await names(client)).toContain("Scripted");
    await client.close();

    // Idle for longer than --idle-timeout: the worker drains and exits.
    const runtime = createApiClient(serve.url, serve.runtimeToken);
    let state: string | undefined;
    for (let attempt = 0; attempt < 60 && state !== "stopped"; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      state = (await (await runtime.fetch(`/api/instances/${projectId}`)).json().catch(() => ({}))).state as string | undefined;
    }
    expect(state).toBe("stopped");

    const again = await connect();
    expect(await names(again)).toContain("Scripted");
    await again.close();
  });

  it("is refused when workers are not sandboxed", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "bod-serve-scripts-"));
    try {
      await expect(runBod(["serve", "--port", "0", "--sandbox", "off", "--allow-scripts", "--data-dir", dataDir])).rejects.toThrow(
        /--allow-scripts needs workers sandboxed with bubblewrap, and --sandbox off turns that off/,
      );
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
