// Two `bod serve` processes (two data dirs, two ports) on one real PostgreSQL and one real S3
// bucket, the way replicas share state in a cluster: a turn on one is seen on the other (project,
// history, render), a project outlives kill -9 of the replica and workers that served it with the
// scene exactly as of the last acknowledged change, one turn of a project runs at a time across
// both, the message rate limit holds across both, and deleting a project removes it everywhere.
import { readdir, readFile } from "node:fs/promises";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { createS3Client } from "@bod/storage/scale-out";
import { createTestBucket, createTestDatabase, type TestBucket, type TestDatabase } from "@bod/testing";
import { type CallToolResult, Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import pg from "pg";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiClient } from "./support/api-client.ts";
import { type ServeProcess, startServeProcess } from "./support/serve-process.ts";

let database: TestDatabase;
let bucket: TestBucket;
let first: ServeProcess;
let second: ServeProcess;
let projectId: string;
let renderPath: string;

const startReplica = () =>
  startServeProcess({
    extraArgs: ["--state-url", database.url, "--artifact-url", bucket.url, "--message-burst", "6", "--message-interval", "600"],
  });

beforeAll(async () => {
  [database, bucket] = await Promise.all([createTestDatabase(), createTestBucket()]);
  first = await startReplica();
  second = await startReplica();
});

afterAll(async () => {
  await first?.stop();
  await second?.stop();
  await database?.drop();
  await bucket?.drop();
});

async function connectMcp(serve: ServeProcess, project: string): Promise<Client> {
  const client = new Client({ name: "scale-out-e2e", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${serve.url}/projects/${project}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${serve.runtimeToken}` } },
    }),
  );
  return client;
}

function structured(result: unknown): Record<string, unknown> {
  const call = result as CallToolResult;
  if (call.isError) throw new Error(`tool error: ${JSON.stringify(call.content)}`);
  return call.structuredContent as Record<string, unknown>;
}

/** Every process whose command line mentions the replica's data dir (its workers and their Blenders). */
async function processesOf(dataDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const command = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (command.includes(dataDir) && Number(entry) !== process.pid) pids.push(Number(entry));
  }
  return pids;
}

describe("two replicas on one PostgreSQL and one bucket", () => {
  it("serves a turn made on one replica from the other: the project, its history and its render", async () => {
    // Both replicas sign in the same owner: the user lives in the shared state.
    const onFirst = createApiClient(first.url, first.signInToken);
    const onSecond = createApiClient(second.url, second.signInToken);
    projectId = (await onFirst.json<{ id: string }>("/api/projects", { method: "POST", body: JSON.stringify({ name: "Shared" }) })).id;
    const events = await onFirst.stream(projectId, "Add a red cube and render the scene");
    const turn = events.at(-1)!.data as { status: string; artifacts: Array<{ id: string; url: string; mimeType: string }> };
    expect(turn.status).toBe("completed");
    expect(turn.artifacts).toHaveLength(1);
    renderPath = new URL(turn.artifacts[0]!.url).pathname;

    const { projects } = await onSecond.json<{ projects: Array<{ id: string }> }>("/api/projects");
    expect(projects.map((project) => project.id)).toContain(projectId);
    const { messages } = await onSecond.json<{ messages: Array<{ role: string; text: string }> }>(`/api/projects/${projectId}/messages`);
    expect(messages.map((message) => message.role)).toEqual(["user", "assistant"]);
    expect(messages[0]!.text).toBe("Add a red cube and render the scene");

    // The second replica serves the render the first one's worker stored (through a presigned
    // redirect to the bucket or by streaming it; either way the same PNG).
    const fromSecond = await onSecond.fetch(renderPath);
    expect(fromSecond.status).toBe(200);
    const fromFirst = await onFirst.fetch(renderPath);
    const [a, b] = [Buffer.from(await fromFirst.arrayBuffer()), Buffer.from(await fromSecond.arrayBuffer())];
    expect(b.equals(a)).toBe(true);
    expect(PNG.sync.read(b).width).toBe(960);
  });

  it("runs one turn of a project at a time across both replicas (the other gets 409)", async () => {
    const send = (serve: ServeProcess) =>
      createApiClient(serve.url, serve.signInToken).fetch(`/api/projects/${projectId}/messages`, {
        method: "POST",
        headers: { accept: "application/json" },
        body: JSON.stringify({ text: "Render the scene with cycles at 64 samples" }),
      });
    const responses = await Promise.all([send(first), send(second)]);
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([200, 409]);
    const refused = responses.find((response) => response.status === 409)!;
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(((await refused.json()) as { code: string }).code).toBe("turn_in_progress");
  });

  it("keeps the project's scene through kill -9 of the replica and the workers that served it", async () => {
    const client = await connectMcp(first, projectId);
    for (const [index, color] of ["blue", "green", "yellow"].entries())
      structured(
        await client.callTool({
          name: "add_object",
          arguments: { type: "uv_sphere", name: `Ball ${index}`, color, location: [index * 2, 3, 0] },
        }),
      );
    structured(await client.callTool({ name: "update_object", arguments: { name: "Ball 1", translate: [0, 0, 1] } }));
    const before = structured(await client.callTool({ name: "get_scene", arguments: {} }));
    // No drain, no snapshot: everything dies at once, mid-session.
    const victims = [first.child.pid!, ...(await processesOf(first.dataDir))];
    for (const pid of victims) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Gone already.
      }
    }
    await new Promise((resolve) => first.child.once("exit", resolve));

    const again = await connectMcp(second, projectId);
    const after = structured(await again.callTool({ name: "get_scene", arguments: {} }));
    const summary = (scene: Record<string, unknown>) =>
      (scene.objects as Array<{ name: string; location: number[]; material?: unknown }>)
        .map((object) => ({
          name: object.name,
          location: object.location.map((value) => Number(value.toFixed(4))),
          material: object.material,
        }))
        .sort((x, y) => x.name.localeCompare(y.name));
    expect(summary(after)).toEqual(summary(before));
    expect(summary(after).map((object) => object.name)).toEqual(expect.arrayContaining(["Ball 0", "Ball 1", "Ball 2"]));
    await again.close();
    await client.close().catch(() => undefined);
    first = await startReplica();
  });

  it("enforces one message rate limit across both replicas", async () => {
    // Six messages in a burst per user, shared: the six turns so far (two sent above, one of
    // them refused) leave room for a few more, then both replicas refuse with 429.
    const statuses: number[] = [];
    for (let index = 0; index < 8; index++) {
      const serve = index % 2 === 0 ? first : second;
      const response = await createApiClient(serve.url, serve.signInToken).fetch(`/api/projects/${projectId}/messages`, {
        method: "POST",
        headers: { accept: "application/json" },
        body: JSON.stringify({ text: "what is in the scene?" }),
      });
      statuses.push(response.status);
      if (response.status === 429) {
        expect(response.headers.get("retry-after")).toMatch(/^\d+$/);
      }
    }
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(5);
    // Refusals come from both replicas, so the bucket is one.
    expect(statuses.slice(-2)).toEqual([429, 429]);
  });

  it("deletes a project everywhere: scene, artifacts, conversation, and the other replica's instance", async () => {
    const onSecond = createApiClient(second.url, second.signInToken);
    const onFirst = createApiClient(first.url, first.signInToken);
    const firstRuntime = createApiClient(first.url, first.runtimeToken);
    const instanceOnFirst = async () => (await firstRuntime.fetch(`/api/instances/${projectId}`)).json() as Promise<{ state?: string }>;
    // The turns above woke the project on the first replica too.
    expect((await instanceOnFirst()).state).toBe("ready");
    expect((await onSecond.fetch(`/api/projects/${projectId}`, { method: "DELETE" })).status).toBe(204);
    // The first replica's worker hears of the deletion and ends without saving anything.
    const deadline = Date.now() + 15_000;
    while ((await instanceOnFirst()).state !== "stopped" && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await instanceOnFirst()).state).toBe("stopped");
    expect((await onFirst.fetch(`/api/projects/${projectId}`)).status).toBe(404);
    expect((await onFirst.fetch(`/api/projects/${projectId}/messages`)).status).toBe(404);
    expect((await onFirst.fetch(renderPath)).status).toBe(404);
    // Nothing of the project is left in the bucket or the database.
    const listed = await createS3Client(bucket.location).send(
      new ListObjectsV2Command({ Bucket: bucket.location.bucket, Prefix: bucket.location.prefix }),
    );
    expect((listed.Contents ?? []).map((object) => object.Key).filter((key) => key?.includes(projectId))).toEqual([]);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const tables = await client.query<{ table_schema: string; table_name: string }>(
        "select c.table_schema, c.table_name from information_schema.columns c where c.column_name = 'project_id' and c.table_schema not in ('pg_catalog', 'information_schema')",
      );
      expect(tables.rows.length).toBeGreaterThan(0);
      for (const { table_schema: schema, table_name: table } of tables.rows) {
        const rows = await client.query(`select count(*)::int as n from "${schema}"."${table}" where project_id = $1`, [projectId]);
        expect(rows.rows[0].n, `${schema}.${table}`).toBe(0);
      }
    } finally {
      await client.end();
    }
  });
});
