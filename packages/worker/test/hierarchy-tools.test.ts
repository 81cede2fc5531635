// End-to-end tier: the hierarchy tools (set_parent, create_group, collections), add_object's
// empties and segments, and delete_object's withChildren in real Blender, checked through get_scene;
// and the scene they make coming back after kill -9 (journal replay) and in a new engine (snapshot).
import { findToolContract } from "@bod/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failure } from "../src/blender/testing/test-support.ts";
import { type ContractEngine, expectNear, startContractEngine } from "./support/contract-engine.ts";

let blender: ContractEngine;

beforeAll(async () => {
  // No snapshot until the engine stops: kill -9 then replays every change from the journal.
  blender = await startContractEngine({ snapshotEvery: 10_000 });
});

afterAll(async () => {
  await blender?.close();
});

describe("hierarchy tools in real Blender", () => {
  it("puts the lamp on the table and moves the table: the lamp follows, its own values stay", async () => {
    await blender.tool("add_object", { type: "cube", name: "Table", scale: [2, 1, 0.1], location: [0, 0, 1] });
    await blender.tool("add_object", { type: "cylinder", name: "Lamp", scale: [0.2, 0.2, 0.5], location: [0.5, 0, 1.6] });
    const parented = await blender.tool("set_parent", { object: "Lamp", parent: "Table" });
    expect(parented.object.parent).toBe("Table");
    // Nothing jumps when parenting.
    expectNear(parented.object.location, [0.5, 0, 1.6], 4);
    expectNear(parented.object.worldLocation, [0.5, 0, 1.6], 4);
    expectNear(parented.object.scale, [0.2, 0.2, 0.5], 4);
    expect((await blender.object("Table")).children).toEqual(["Lamp"]);

    await blender.tool("update_object", { name: "Table", translate: [3, -1, 0.5] });
    const lamp = await blender.object("Lamp");
    expectNear(lamp.worldLocation, [3.5, -1, 2.1], 4);
    expectNear(lamp.location, [0.5, 0, 1.6], 4);
    expectNear(lamp.dimensions, [0.4, 0.4, 1], 4);

    // Turning the table a quarter about z carries the lamp around the table's center.
    await blender.tool("update_object", { name: "Table", rotation: [0, 0, 90] });
    expectNear((await blender.object("Lamp")).worldLocation, [3, -0.5, 2.1], 4);
  });

  it("detaches a child where it is in the world", async () => {
    const detached = await blender.tool("set_parent", { object: "Lamp", parent: null });
    expect(detached.object.parent).toBeNull();
    expect(detached.object.worldLocation).toBeUndefined();
    expectNear(detached.object.location, [3, -0.5, 2.1], 4);
    expectNear(detached.object.rotation, [0, 0, 90], 4);
    expectNear(detached.object.scale, [0.2, 0.2, 0.5], 4);
    expect((await blender.object("Table")).children).toEqual([]);
    // Moving the table no longer moves it.
    await blender.tool("update_object", { name: "Table", translate: [1, 0, 0] });
    expectNear((await blender.object("Lamp")).location, [3, -0.5, 2.1], 4);
  });

  it("parents lights, and refuses cycles and unknown objects with what to do", async () => {
    await blender.tool("add_light", { type: "point", name: "Bulb", location: [4, -0.5, 3] });
    await blender.tool("set_parent", { object: "Bulb", parent: "Lamp" });
    await blender.tool("update_object", { name: "Lamp", translate: [0, 2, 0] });
    const bulb = (await blender.scene()).lights.find((light) => light.name === "Bulb");
    expect(bulb?.parent).toBe("Lamp");
    expectNear(bulb?.worldLocation, [4, 1.5, 3], 4);
    expect((await blender.object("Lamp")).children).toEqual(["Bulb"]);

    const cycle = await failure(blender.tool("set_parent", { object: "Lamp", parent: "Bulb" }));
    expect(cycle.code).toBe("invalid_arguments");
    expect(cycle.message).toMatch(/own ancestor.*set_parent with parent null/);
    const self = await failure(blender.tool("set_parent", { object: "Lamp", parent: "Lamp" }));
    expect(self.message).toMatch(/cannot be its own parent/);
    const missing = await failure(blender.tool("set_parent", { object: "Lamp", parent: "Desk" }));
    expect(missing.code).toBe("object_not_found");
    expect(missing.message).toMatch(/Existing objects: .*Table/);
  });

  it("groups objects under an empty: moving, turning and deleting the group acts on all of them", async () => {
    await blender.tool("add_object", { type: "cube", name: "Seat", location: [10, 0, 0.5] });
    await blender.tool("add_object", { type: "cube", name: "Back", location: [10, 1, 1.5], scale: [1, 0.1, 1] });
    await blender.tool("add_object", { type: "uv_sphere", name: "Cushion", location: [10, 0, 1.2], scale: 0.3 });
    await blender.tool("set_parent", { object: "Cushion", parent: "Seat" });
    const { group } = await blender.tool("create_group", { name: "Chair", objects: ["Seat", "Back", "Cushion"] });
    expect(group).toMatchObject({ name: "Chair", type: "EMPTY", material: null, children: ["Back", "Seat"], parent: null });
    // The middle of the members' locations.
    expectNear(group.location, [10, 1 / 3, 3.2 / 3], 4);
    // A member whose parent is also in the group keeps it.
    expect((await blender.object("Cushion")).parent).toBe("Seat");

    await blender.tool("update_object", { name: "Chair", location: [0, 10, 0] });
    expectNear((await blender.object("Seat")).worldLocation, [0, 10 - 1 / 3, 0.5 - 3.2 / 3], 4);
    expectNear((await blender.object("Cushion")).worldLocation, [0, 10 - 1 / 3, 1.2 - 3.2 / 3], 4);
    await blender.tool("update_object", { name: "Chair", rotation: [0, 0, 180] });
    expectNear((await blender.object("Back")).worldLocation, [0, 10 - 2 / 3, 1.5 - 3.2 / 3], 4);

    const deleted = await blender.tool("delete_object", { name: "Chair" });
    expect(deleted).toEqual({ deleted: "Chair", alsoDeleted: expect.arrayContaining(["Seat", "Back", "Cushion"]) });
    expect(deleted.alsoDeleted).toHaveLength(3);
    const names = (await blender.scene()).objects.map((object) => object.name);
    expect(names).not.toContain("Seat");
    expect(names).not.toContain("Cushion");
  });

  it("places a group at a given location, and deleting a plain parent keeps its children in place", async () => {
    await blender.tool("add_object", { type: "empty", name: "Pivot", location: [0, 0, 5] });
    expect(await blender.object("Pivot")).toMatchObject({ type: "EMPTY", primitive: "empty", material: null });
    await blender.tool("add_object", { type: "cube", name: "Shelf", location: [20, 0, 0] });
    await blender.tool("add_object", { type: "cone", name: "Vase", location: [20, 0, 1.5], scale: 0.3 });
    await blender.tool("set_parent", { object: "Vase", parent: "Shelf" });
    await blender.tool("update_object", { name: "Shelf", translate: [0, 0, 2] });

    const kept = await blender.tool("delete_object", { name: "Shelf" });
    expect(kept).toEqual({ deleted: "Shelf" });
    const vase = await blender.object("Vase");
    expect(vase.parent).toBeNull();
    expectNear(vase.location, [20, 0, 3.5], 4);

    const { group } = await blender.tool("create_group", { name: "Shelfware", objects: ["Vase"], location: [1, 2, 3] });
    expectNear(group.location, [1, 2, 3], 4);
    const taken = await failure(blender.tool("create_group", { name: "Vase", objects: ["Pivot"] }));
    expect(taken.code).toBe("name_taken");
    // withChildren false leaves a group's members.
    expect(await blender.tool("delete_object", { name: "Shelfware", withChildren: false })).toEqual({ deleted: "Shelfware" });
    expectNear((await blender.object("Vase")).location, [20, 0, 3.5], 4);
  });

  it("makes cylinders, cones and circles with the segments asked for", async () => {
    const pyramid = await blender.tool("add_object", { type: "cone", name: "Pyramid", segments: 4 });
    // Four corners on the axes: a square pyramid as wide as the default cone.
    expectNear(pyramid.object.dimensions, [2, 2, 2], 4);
    const prism = await blender.tool("add_object", { type: "cylinder", name: "Prism", segments: 3 });
    expectNear(prism.object.dimensions, [Math.sqrt(3), 1.5, 2], 4);
    const hexagon = await blender.tool("add_object", { type: "circle", name: "Hexagon", segments: 6 });
    expectNear(hexagon.object.dimensions, [Math.sqrt(3), 2, 0], 4);
    const addObject = findToolContract("add_object")!;
    const wrong = addObject.inputSchema.safeParse({ type: "cube", segments: 6 });
    expect(wrong.error?.issues[0]?.message).toMatch(/only for types cylinder, cone, circle/);
    expect(addObject.inputSchema.safeParse({ type: "cone", segments: 2 }).success).toBe(false);
    expect(addObject.inputSchema.safeParse({ type: "empty", color: "red" }).error?.issues[0]?.message).toMatch(/no surface/);
  });

  it("creates collections, moves objects (with their children) in, and hides and shows them", async () => {
    const created = await blender.tool("create_collection", { name: "Props" });
    expect(created.collection).toEqual({ name: "Props", hidden: false, objects: 0 });
    await blender.tool("set_parent", { object: "Hexagon", parent: "Prism" });
    const moved = await blender.tool("move_to_collection", { objects: ["Prism", "Pyramid"], collection: "Props" });
    expect(moved.moved).toEqual(["Prism", "Hexagon", "Pyramid"]);
    expect(moved.collection).toEqual({ name: "Props", hidden: false, objects: 3 });
    expect((await blender.object("Hexagon")).collection).toBe("Props");
    expect((await blender.object("Table")).collection).toBe("Scene Collection");

    await blender.tool("set_collection_visibility", { collection: "Props", hidden: true });
    const scene = await blender.scene();
    expect(scene.collections).toContainEqual({ name: "Props", hidden: true, objects: 3 });
    expect(scene.objects.find((object) => object.name === "Pyramid")?.hidden).toBe(true);
    expect(scene.objects.find((object) => object.name === "Table")?.hidden).toBeUndefined();

    const taken = await failure(blender.tool("create_collection", { name: "Props" }));
    expect(taken.code).toBe("name_taken");
    const unknown = await failure(blender.tool("move_to_collection", { objects: ["Table"], collection: "Attic" }));
    expect(unknown.message).toMatch(/No collection named "Attic". Collections: Scene Collection, .*Props.*create_collection/);
    const root = await failure(blender.tool("set_collection_visibility", { collection: "Scene Collection", hidden: true }));
    expect(root.code).toBe("invalid_arguments");

    await blender.tool("move_to_collection", { objects: ["Pyramid"], collection: "Scene Collection" });
    const back = await blender.object("Pyramid");
    expect(back.collection).toBe("Scene Collection");
    expect(back.hidden).toBeUndefined();
  });

  it("duplicates a group with its members, and a boolean inside it cuts with the copied cutter", async () => {
    await blender.tool("add_object", { type: "cube", name: "Top", location: [30, 0, 1], scale: [1, 1, 0.1] });
    await blender.tool("add_object", { type: "cylinder", name: "Leg", location: [30, 0, 0.5], scale: [0.1, 0.1, 0.5] });
    await blender.tool("add_object", { type: "cylinder", name: "Hole", location: [30, 0, 1], scale: [0.3, 0.3, 1] });
    await blender.tool("add_modifier", { object: "Top", type: "boolean", with: "Hole" });
    await blender.tool("create_group", { name: "Stand", objects: ["Top", "Leg", "Hole"], location: [30, 0, 0] });

    const { object: copy } = await blender.tool("duplicate_object", { name: "Stand", newName: "Stand 2", offset: [0, 5, 0] });
    expect(copy.children).toHaveLength(3);
    const scene = await blender.scene();
    const copied = (name: string) => scene.objects.find((object) => object.parent === "Stand 2" && object.name.startsWith(`${name}.`));
    expectNear(copied("Leg")?.worldLocation, [30, 5, 0.5], 4);
    expect(copied("Top")?.modifiers?.[0]).toMatchObject({ type: "boolean", with: copied("Hole")?.name });
    expect(copied("Hole")?.hidden).toBe(true);
    // The original is untouched.
    expect(scene.objects.find((object) => object.name === "Top")?.modifiers?.[0]).toMatchObject({ with: "Hole" });
    expect(scene.objects.find((object) => object.name === "Stand")?.children).toEqual(["Hole", "Leg", "Top"]);
  });

  it("brings the hierarchy back after kill -9 (journal replay) and in a new engine (snapshot)", async () => {
    await blender.tool("set_parent", { object: "Lamp", parent: "Table" });
    await blender.tool("update_object", { name: "Table", translate: [0, 0, 1] });
    const before = await blender.scene();
    expect(before.objects.find((object) => object.name === "Lamp")?.parent).toBe("Table");

    await blender.killBlender();
    expect(await blender.scene()).toEqual(before);

    await blender.reopen();
    expect(await blender.scene()).toEqual(before);
  });
});
