// End-to-end: a real `bod worker` with real Blender, driven by the official MCP client SDK
// over Streamable HTTP at the 2026-07-28 revision. Renders are checked by their pixels.
import { addObject, getScene, renderFrame, SCRIPT_TOOL_NAMES, TOOL_CONTRACTS } from "@bod/contracts";
import type { CallToolResult, Client } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { centerColor, decodePng } from "./support/png.ts";
import { connectClient, removeDir, startWorkerProcess, type WorkerProcess } from "./support/worker-process.ts";

let worker: WorkerProcess;
let client: Client;

async function call(name: string, args: Record<string, unknown> = {}) {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

function errorText(result: CallToolResult): string {
  expect(result.isError, JSON.stringify(result)).toBe(true);
  return result.content.map((block) => (block.type === "text" ? block.text : "")).join("\n");
}

beforeAll(async () => {
  worker = await startWorkerProcess();
  client = await connectClient(worker, "worker-test");
});

afterAll(async () => {
  await client?.close();
  await worker?.stop();
  if (worker) await removeDir(worker.dataDir);
});

describe("worker over MCP (2026-07-28)", () => {
  it("answers /healthz once Blender is ready", async () => {
    const response = await fetch(`${worker.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ready: true, state: "ready", bound: true });
  });

  it("lists every tool with annotations and input and output schemas", async () => {
    const { tools } = await client.listTools();
    // run_script is listed only where the operator allows scripts (run-script.test.ts).
    const listed = TOOL_CONTRACTS.filter((tool) => !SCRIPT_TOOL_NAMES.has(tool.name));
    expect(tools.map((tool) => tool.name).sort()).toEqual(listed.map((tool) => tool.name).sort());
    for (const tool of tools) {
      expect(tool.annotations?.title, tool.name).toBeTruthy();
      expect(tool.inputSchema.type).toBe("object");
      expect(tool.outputSchema?.type, tool.name).toBe("object");
    }
    expect(tools.find((tool) => tool.name === "get_scene")?.annotations?.readOnlyHint).toBe(true);
  });

  it("starts a new project with a camera aimed at the origin, a light, and no objects", async () => {
    const scene = getScene.outputSchema.parse((await call("get_scene")).structuredContent);
    expect(scene.objects).toEqual([]);
    expect(scene.lights.length).toBe(1);
    expect(scene.camera).not.toBeNull();
  });

  it("adds a red cube that renders red, with progress and a stored PNG", async () => {
    const added = await call("add_object", { type: "cube", name: "RedCube", color: "red" });
    expect(added.isError).toBeFalsy();
    const { object } = addObject.outputSchema.parse(added.structuredContent);
    expect(object).toMatchObject({ name: "RedCube", type: "MESH", primitive: "cube" });
    expect(object.material?.baseColor).toBe("#ff0000");

    const progress: number[] = [];
    const rendered = (await client.callTool(
      { name: "render_frame", arguments: { width: 160, height: 120, samples: 4 } },
      { onprogress: (update) => progress.push(update.progress) },
    )) as CallToolResult;
    expect(rendered.isError, JSON.stringify(rendered.content)).toBeFalsy();
    const output = renderFrame.outputSchema.parse(rendered.structuredContent);
    expect(output).toMatchObject({ engine: "eevee", width: 160, height: 120 });
    expect(progress.length).toBeGreaterThan(0);
    // MCP: each notification's progress is greater than the one before.
    for (let index = 1; index < progress.length; index++) expect(progress[index]).toBeGreaterThan(progress[index - 1] as number);
    // Blender's own share of each call, measured inside Blender: above zero, and a render's
    // covers the render time it reports.
    expect(added._meta?.["bod/blenderMs"]).toBeGreaterThan(0);
    expect(rendered._meta?.["bod/blenderMs"]).toBeGreaterThanOrEqual(output.renderMs);

    const image = rendered.content.find((block) => block.type === "image");
    expect(image?.mimeType).toBe("image/png");
    const png = decodePng(Buffer.from(image?.type === "image" ? image.data : "", "base64"));
    expect([png.width, png.height]).toEqual([160, 120]);
    const center = centerColor(png);
    expect(center.r).toBeGreaterThan(70);
    expect(center.r).toBeGreaterThan(center.g * 2.5);
    expect(center.r).toBeGreaterThan(center.b * 2.5);

    const link = rendered.content.find((block) => block.type === "resource_link");
    expect(link?.type === "resource_link" && link.uri).toBe(output.artifact.url);
    const download = await fetch(output.artifact.url);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await download.arrayBuffer()).equals(Buffer.from(image?.type === "image" ? image.data : "", "base64"))).toBe(true);
  });

  it("edits, duplicates and deletes objects, and get_scene reports them", async () => {
    await call("add_object", { type: "uv_sphere", name: "Ball", color: "#0000ff", location: [2, 0, 1] });
    const moved = await call("update_object", { name: "Ball", translate: [0, 0, 2], scale: 2, rotation: [0, 0, 45] });
    const ball = addObject.outputSchema.parse(moved.structuredContent).object;
    expect(ball.location).toEqual([expect.closeTo(2, 4), expect.closeTo(0, 4), expect.closeTo(3, 4)]);
    expect(ball.rotation[2]).toBeCloseTo(45, 3);
    expect(ball.scale).toEqual([expect.closeTo(2, 4), expect.closeTo(2, 4), expect.closeTo(2, 4)]);

    const copy = await call("duplicate_object", { name: "Ball", newName: "Ball2", offset: [0, 3, 0] });
    expect(addObject.outputSchema.parse(copy.structuredContent).object.location[1]).toBeCloseTo(3, 4);
    const material = await call("set_material", { name: "Ball2", color: "gold", metallic: 1, roughness: 0.2 });
    expect(addObject.outputSchema.parse(material.structuredContent).object.material).toMatchObject({ metallic: 1, baseColor: "#ffd700" });
    expect((await call("delete_object", { name: "Ball" })).structuredContent).toEqual({ deleted: "Ball" });

    const scene = getScene.outputSchema.parse((await call("get_scene")).structuredContent);
    expect(scene.objects.map((object) => object.name).sort()).toEqual(["Ball2", "RedCube"]);
    const page = getScene.outputSchema.parse((await call("get_scene", { limit: 1 })).structuredContent);
    expect(page.objects.length).toBe(1);
    expect(page.totalObjects).toBe(2);
    expect(page.nextCursor).toBeTruthy();
    const next = getScene.outputSchema.parse((await call("get_scene", { limit: 1, cursor: page.nextCursor })).structuredContent);
    expect(next.objects[0]?.name).not.toBe(page.objects[0]?.name);
  });

  it("exports a GLB that parses, and lists the scene and artifacts as resources", async () => {
    const exported = await call("export_glb");
    expect(exported.isError, JSON.stringify(exported.content)).toBeFalsy();
    const { artifact } = exported.structuredContent as { artifact: { url: string; mimeType: string } };
    expect(artifact.mimeType).toBe("model/gltf-binary");
    const bytes = Buffer.from(await (await fetch(artifact.url)).arrayBuffer());
    expect(bytes.subarray(0, 4).toString()).toBe("glTF");
    const jsonLength = bytes.readUInt32LE(12);
    const gltf = JSON.parse(bytes.subarray(20, 20 + jsonLength).toString());
    expect(gltf.nodes.map((node: { name: string }) => node.name)).toEqual(expect.arrayContaining(["RedCube", "Ball2"]));

    const { resources } = await client.listResources();
    expect(resources.map((resource) => resource.uri)).toContain("scene://current");
    const artifacts = resources.filter((resource) => resource.uri.startsWith("artifact://"));
    expect(artifacts.length).toBeGreaterThanOrEqual(2);
    const scene = await client.readResource({ uri: "scene://current" });
    const first = scene.contents[0];
    expect(JSON.parse(first && "text" in first ? first.text : "{}").objects.length).toBe(2);
  });

  it("imports a stored export by artifact id and an uploaded OBJ", async () => {
    const exported = await call("export_scene", { format: "stl" });
    const { artifact } = exported.structuredContent as { artifact: { id: string } };
    const fromArtifact = await call("import_model", { format: "stl", artifactId: artifact.id, location: [0, 5, 0] });
    expect(fromArtifact.isError, JSON.stringify(fromArtifact.content)).toBeFalsy();
    expect((fromArtifact.structuredContent as { objects: string[] }).objects.length).toBeGreaterThan(0);

    const obj = "o Wedge\nv 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 2 3\nf 1 2 4\nf 1 3 4\nf 2 3 4\n";
    const uploaded = await call("import_model", { format: "obj", data: Buffer.from(obj).toString("base64") });
    expect(uploaded.isError, JSON.stringify(uploaded.content)).toBeFalsy();
    const result = uploaded.structuredContent as { objects: string[]; artifact: { kind: string } };
    expect(result.objects).toEqual(["Wedge"]);
    expect(result.artifact.kind).toBe("upload");
    const scene = getScene.outputSchema.parse((await call("get_scene")).structuredContent);
    expect(scene.objects.find((object) => object.name === "Wedge")?.dimensions).toEqual([
      expect.closeTo(1, 3),
      expect.closeTo(1, 3),
      expect.closeTo(1, 3),
    ]);
    for (const name of [...(fromArtifact.structuredContent as { objects: string[] }).objects, "Wedge"]) {
      await call("delete_object", { name });
    }
  });

  describe("bad input gets an error that says what is allowed, and the worker keeps serving", () => {
    const cases: [string, string, Record<string, unknown>, RegExp][] = [
      ["unknown object type", "add_object", { type: "dodecahedron" }, /cube.*uv_sphere/s],
      ["unknown color", "add_object", { type: "cube", color: "blurple" }, /CSS color name/],
      ["unknown object name", "update_object", { name: "Nope", location: [0, 0, 0] }, /Nope/],
      ["unknown extra argument", "add_object", { type: "cube", wings: 2 }, /wings/],
      ["resolution above 8192", "render_frame", { width: 9000 }, /8192/],
      ["samples above 4096", "render_frame", { samples: 5000 }, /4096/],
      ["text without text", "add_object", { type: "text" }, /text/],
      ["malformed upload", "import_model", { format: "glb", data: Buffer.from("not a model").toString("base64") }, /glTF/],
      ["not base64", "import_model", { format: "glb", data: "@@@" }, /base64/],
      ["unknown artifact", "import_model", { format: "glb", artifactId: `${"0".repeat(32)}.glb` }, /No artifact/],
    ];
    for (const [label, tool, args, pattern] of cases) {
      it(label, async () => {
        expect(errorText(await call(tool, args))).toMatch(pattern);
      });
    }

    it("an error from inside Blender says its code and how long Blender spent", async () => {
      const failed = await call("update_object", { name: "Nope", location: [0, 0, 0] });
      expect(failed._meta).toMatchObject({ "bod/errorCode": "object_not_found", "bod/blenderMs": expect.any(Number) });
    });

    it("an oversized upload", async () => {
      const data = Buffer.alloc(33 * 1024 * 1024).toString("base64");
      expect(errorText(await call("import_model", { format: "stl", data }))).toMatch(/MiB|bytes|too/i);
    });

    it("NaN and Infinity (which JSON cannot carry but 1e999 parses to)", async () => {
      // A 2025-era request, sent by hand because no client would put 1e999 on the wire.
      const body = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add_object","arguments":{"type":"cube","location":[1e999,0,0]}}}`;
      const response = await fetch(`${worker.url}/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2025-11-25",
        },
        body,
      });
      const text = await response.text();
      expect(text).toMatch(/isError|error/);
      expect(text).not.toMatch(/"name":"Cube/);
      const scene = getScene.outputSchema.parse((await call("get_scene")).structuredContent);
      expect(scene.objects.every((object) => object.location.every(Number.isFinite))).toBe(true);
    });

    it("still works afterwards", async () => {
      const result = await call("add_object", { type: "cone", name: "AfterErrors" });
      expect(result.isError).toBeFalsy();
    });
  });
});
