// End-to-end tier: the hierarchy, modifier, text-and-curve and depth-of-field tools through a real
// `bod worker` over MCP: listed with their annotations, called with the arguments a model sends
// (set_parent without a parent detaches), and a hidden collection left out of a real render.
import { getScene, TOOL_CONTRACTS } from "@bod/contracts";
import type { CallToolResult, Client } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { centerColor, decodePng } from "./support/png.ts";
import { connectClient, removeDir, startWorkerProcess, type WorkerProcess } from "./support/worker-process.ts";

const NEW_TOOLS = [
  "set_parent",
  "create_group",
  "create_collection",
  "move_to_collection",
  "set_collection_visibility",
  "add_modifier",
  "update_modifier",
  "remove_modifier",
  "add_curve",
  "set_shape",
];

let worker: WorkerProcess;
let client: Client;

async function call(name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  if (result.isError) throw new Error(`${name}: ${JSON.stringify(result.content)}`);
  return result.structuredContent as Record<string, unknown>;
}

async function scene() {
  return getScene.outputSchema.parse(await call("get_scene", {}));
}

async function renderCenter() {
  const result = (await client.callTool({
    name: "render_frame",
    arguments: { engine: "workbench", width: 64, height: 48 },
  })) as CallToolResult;
  const image = result.content.find((part) => part.type === "image");
  if (image?.type !== "image") throw new Error(`no image: ${JSON.stringify(result.content)}`);
  return centerColor(decodePng(Buffer.from(image.data, "base64")));
}

beforeAll(async () => {
  worker = await startWorkerProcess();
  client = await connectClient(worker, "scene-structure-test");
});

afterAll(async () => {
  await client?.close();
  await worker?.stop();
  if (worker) await removeDir(worker.dataDir);
});

describe("scene structure tools over MCP", () => {
  it("lists every new tool with the contract's annotations", async () => {
    const { tools } = await client.listTools();
    for (const name of NEW_TOOLS) {
      const listed = tools.find((tool) => tool.name === name);
      const contract = TOOL_CONTRACTS.find((tool) => tool.name === name);
      expect(listed, name).toBeDefined();
      expect(listed?.annotations).toEqual(contract?.annotations);
    }
  });

  it("puts the lamp on the table, moves the table, and detaches the lamp without a parent argument", async () => {
    await call("add_object", { type: "cube", name: "Table", scale: [1.5, 1, 0.1], location: [0, 0, 1] });
    await call("add_object", { type: "cone", name: "Lamp", segments: 4, scale: 0.3, location: [0.5, 0, 1.4] });
    await call("set_parent", { object: "Lamp", parent: "Table" });
    await call("update_object", { name: "Table", translate: [2, 1, 0] });
    const lamp = (await scene()).objects.find((object) => object.name === "Lamp");
    expect(lamp?.worldLocation?.map((value) => Math.round(value * 1000) / 1000)).toEqual([2.5, 1, 1.4]);
    await call("set_parent", { object: "Lamp" });
    const detached = (await scene()).objects.find((object) => object.name === "Lamp");
    expect(detached?.parent).toBeNull();
    expect(detached?.location.map((value) => Math.round(value * 1000) / 1000)).toEqual([2.5, 1, 1.4]);
  });

  it("leaves a hidden collection's objects out of the render, and shows them again", async () => {
    await call("delete_object", { name: "Table" });
    await call("delete_object", { name: "Lamp" });
    await call("add_object", { type: "cube", name: "Red box", color: "red", scale: 2 });
    await call("set_world", { color: "black" });
    const shown = await renderCenter();
    expect(shown.r).toBeGreaterThan(50);
    expect(shown.r).toBeGreaterThan(shown.g * 3);

    await call("create_collection", { name: "Props" });
    await call("move_to_collection", { objects: ["Red box"], collection: "Props" });
    await call("set_collection_visibility", { collection: "Props", hidden: true });
    const hidden = await renderCenter();
    expect(hidden.r).toBeLessThan(15);

    await call("set_collection_visibility", { collection: "Props", hidden: false });
    expect((await renderCenter()).r).toBeGreaterThan(50);
  });

  it("bevels through add_modifier and shapes text through set_shape, as a model calls them", async () => {
    const bevelled = (await call("add_modifier", { object: "Red box", type: "bevel", width: 0.2, segments: 4 })) as {
      object: { modifiers: unknown[] };
    };
    expect(bevelled.object.modifiers).toEqual([{ name: "Bevel", type: "bevel", width: 0.2, segments: 4 }]);
    await call("add_object", { type: "text", name: "Sign", text: "Hi" });
    const deep = (await call("set_shape", { object: "Sign", extrude: 0.1 })) as { object: { shape: { extrude: number } } };
    expect(deep.object.shape.extrude).toBe(0.1);
    const refused = (await client.callTool({
      name: "add_modifier",
      arguments: { object: "Red box", type: "bevel", levels: 2 },
    })) as CallToolResult;
    expect(refused.isError).toBe(true);
    expect(JSON.stringify(refused.content)).toContain("`levels` is not a bevel setting; bevel takes width, segments.");
  });
});
