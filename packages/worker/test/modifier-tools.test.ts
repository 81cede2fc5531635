// End-to-end tier: add_modifier, update_modifier and remove_modifier in real Blender, checked
// through get_scene (each object's modifiers and the evaluated dimensions they give); a boolean's
// other object renamed and deleted; and the modifiers coming back after kill -9 (journal replay)
// and in a new engine (snapshot).
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

describe("modifier tools in real Blender", () => {
  it("bevels a cube's edges and changes the bevel; settings of other types are refused", async () => {
    await blender.tool("add_object", { type: "cube", name: "Block" });
    const added = await blender.tool("add_modifier", { object: "Block", type: "bevel" });
    expect(added.object.modifiers).toEqual([{ name: "Bevel", type: "bevel", width: 0.1, segments: 3 }]);
    expectNear(added.object.dimensions, [2, 2, 2]);
    const updated = await blender.tool("update_modifier", { object: "Block", modifier: "Bevel", width: 0.25, newName: "Soft edges" });
    expect(updated.object.modifiers).toEqual([{ name: "Soft edges", type: "bevel", width: 0.25, segments: 3 }]);

    const wrong = await failure(blender.tool("update_modifier", { object: "Block", modifier: "Soft edges", levels: 2 }));
    expect(wrong.code).toBe("invalid_arguments");
    expect(wrong.message).toBe("`levels` is not a bevel setting; bevel takes width, segments.");
    const parsed = findToolContract("add_modifier")!.inputSchema.safeParse({ object: "Block", type: "bevel", count: 3 });
    expect(parsed.error?.issues[0]?.message).toBe("`count` is not a bevel setting; bevel takes width, segments.");
    const missing = await failure(blender.tool("remove_modifier", { object: "Block", modifier: "Bevel" }));
    expect(missing.message).toBe('"Block" has no modifier named "Bevel". Its modifiers: Soft edges.');
    const taken = await failure(blender.tool("add_modifier", { object: "Block", type: "subdivision", name: "Soft edges" }));
    expect(taken.code).toBe("name_taken");
  });

  it("repeats with array and mirrors across the object's axes: get_scene's dimensions follow", async () => {
    await blender.tool("add_object", { type: "cube", name: "Row", location: [0, 6, 0] });
    const array = await blender.tool("add_modifier", { object: "Row", type: "array", count: 3, offset: [1.5, 0, 0] });
    expect(array.object.modifiers).toEqual([{ name: "Array", type: "array", count: 3, offset: [1.5, 0, 0] }]);
    // Three cubes 2 m wide, each 1.5 widths (3 m) on from the last.
    expectNear(array.object.dimensions, [8, 2, 2]);
    await blender.tool("update_modifier", { object: "Row", modifier: "Array", count: 2, offset: [1, 0, 0] });
    // Two cubes side by side, x from -1 to 3; mirrored across x, from -3 to 3.
    const mirrored = await blender.tool("add_modifier", { object: "Row", type: "mirror", axes: ["x"] });
    expect(mirrored.object.modifiers?.map((modifier) => modifier.type)).toEqual(["array", "mirror"]);
    expect(mirrored.object.modifiers?.[1]).toEqual({ name: "Mirror", type: "mirror", axes: ["x"] });
    expectNear(mirrored.object.dimensions, [6, 2, 2]);
    const removed = await blender.tool("remove_modifier", { object: "Row", modifier: "Array" });
    expect(removed.object.modifiers).toEqual([{ name: "Mirror", type: "mirror", axes: ["x"] }]);
    expectNear(removed.object.dimensions, [2, 2, 2]);
  });

  it("gives a plane thickness with solidify and smooths with subdivision", async () => {
    await blender.tool("add_object", { type: "plane", name: "Sheet", location: [0, -6, 0] });
    const solid = await blender.tool("add_modifier", { object: "Sheet", type: "solidify", thickness: 0.2 });
    expect(solid.object.modifiers).toEqual([{ name: "Solidify", type: "solidify", thickness: 0.2 }]);
    expectNear(solid.object.dimensions, [2, 2, 0.2]);
    await blender.tool("add_object", { type: "cube", name: "Pebble", location: [6, 0, 0] });
    const smooth = await blender.tool("add_modifier", { object: "Pebble", type: "subdivision", levels: 3 });
    expect(smooth.object.modifiers).toEqual([{ name: "Subdivision", type: "subdivision", levels: 3 }]);
    // Catmull-Clark pulls the corners in: the cube shrinks toward a rounded blob (measured with a
    // modifier after it, since Blender leaves a last subdivision to the viewport's drawing).
    const measured = await blender.tool("add_modifier", { object: "Pebble", type: "solidify", thickness: 0.01 });
    expect(measured.object.dimensions[0]).toBeLessThan(1.9);
  });

  it("makes a surface bumpy with displace, on a subdivided sphere", async () => {
    await blender.tool("add_object", { type: "ico_sphere", name: "Rock", location: [-6, 0, 0] });
    await blender.tool("add_modifier", { object: "Rock", type: "subdivision", levels: 2 });
    const bumpy = await blender.tool("add_modifier", { object: "Rock", type: "displace", strength: 0.6, scale: 0.3 });
    expect(bumpy.object.modifiers?.[1]).toEqual({ name: "Displace", type: "displace", strength: 0.6, scale: 0.3 });
    const size = bumpy.object.dimensions;
    const flat = await blender.tool("update_modifier", { object: "Rock", modifier: "Displace", strength: 0 });
    expect(flat.object.dimensions).not.toEqual(size);
    expect(size.some((edge, axis) => Math.abs(edge - (flat.object.dimensions[axis] ?? 0)) > 0.05)).toBe(true);
  });

  it("cuts with another object, hides it, follows its renames, and refuses to delete it while used", async () => {
    await blender.tool("add_object", { type: "cube", name: "Box", location: [0, 0, 10] });
    await blender.tool("add_object", { type: "cube", name: "Cutter", location: [1.5, 0, 10] });
    const cut = await blender.tool("add_modifier", { object: "Box", type: "boolean", with: "Cutter", name: "Notch" });
    expect(cut.object.modifiers).toEqual([{ name: "Notch", type: "boolean", operation: "difference", with: "Cutter" }]);
    // The cutter spans x 0.5..2.5: the box keeps -1..0.5.
    expectNear(cut.object.dimensions, [1.5, 2, 2]);
    expect((await blender.object("Cutter")).hidden).toBe(true);
    expectNear(
      (await blender.tool("update_modifier", { object: "Box", modifier: "Notch", operation: "union" })).object.dimensions,
      [3.5, 2, 2],
    );
    expectNear(
      (await blender.tool("update_modifier", { object: "Box", modifier: "Notch", operation: "intersect" })).object.dimensions,
      [0.5, 2, 2],
    );

    await blender.tool("update_object", { name: "Cutter", newName: "Knife" });
    expect((await blender.object("Box")).modifiers?.[0]).toMatchObject({ with: "Knife" });

    const refused = await failure(blender.tool("delete_object", { name: "Knife" }));
    expect(refused.code).toBe("invalid_arguments");
    expect(refused.message).toBe(
      '"Knife" is what the boolean modifier "Notch" of "Box" cuts with; remove that modifier first (remove_modifier), or delete "Box" too.',
    );
    expect(refused.data).toEqual({ object: "Knife", usedBy: [{ object: "Box", modifier: "Notch" }] });
    // A group holding both goes whole.
    await blender.tool("add_object", { type: "cube", name: "Spare box", location: [0, 0, 14] });
    await blender.tool("add_object", { type: "cube", name: "Spare knife", location: [1, 0, 14] });
    await blender.tool("add_modifier", { object: "Spare box", type: "boolean", with: "Spare knife" });
    await blender.tool("create_group", { name: "Spares", objects: ["Spare box", "Spare knife"] });
    expect((await blender.tool("delete_object", { name: "Spares" })).alsoDeleted).toHaveLength(2);

    const own = await failure(blender.tool("add_modifier", { object: "Box", type: "boolean", with: "Camera" }));
    expect(own.message).toBe('A boolean cuts with a mesh object; "Camera" is a CAMERA.');
    const gone = await failure(blender.tool("update_modifier", { object: "Box", modifier: "Notch", with: "Nothing", operation: "union" }));
    expect(gone.code).toBe("object_not_found");
    // A refused update changes nothing.
    expect((await blender.object("Box")).modifiers?.[0]).toMatchObject({ operation: "intersect", with: "Knife" });

    const plain = await blender.tool("remove_modifier", { object: "Box", modifier: "Notch" });
    expect(plain.object.modifiers).toEqual([]);
    expectNear(plain.object.dimensions, [2, 2, 2]);
    // No boolean uses it now: it shows again and can go.
    expect((await blender.object("Knife")).hidden).toBeUndefined();
    expect(await blender.tool("delete_object", { name: "Knife" })).toEqual({ deleted: "Knife" });
  });

  it("refuses objects that take no modifiers, with what does", async () => {
    await blender.tool("add_object", { type: "empty", name: "Marker" });
    const empty = await failure(blender.tool("add_modifier", { object: "Marker", type: "bevel" }));
    expect(empty.message).toBe('Modifiers change meshes, text and curves; "Marker" is a EMPTY.');
    await blender.tool("add_object", { type: "text", name: "Sign", text: "Hi" });
    const text = await failure(blender.tool("add_modifier", { object: "Sign", type: "boolean", with: "Block" }));
    expect(text.message).toMatch(/cannot add a boolean modifier to "Sign", a FONT; boolean modifiers work on meshes/);
    expect((await blender.object("Sign")).modifiers).toEqual([]);
    const bevelled = await blender.tool("add_modifier", { object: "Sign", type: "solidify", thickness: 0.05 });
    expect(bevelled.object.modifiers).toEqual([{ name: "Solidify", type: "solidify", thickness: 0.05 }]);
  });

  it("brings modifiers back after kill -9 (journal replay) and in a new engine (snapshot)", async () => {
    await blender.tool("add_object", { type: "cylinder", name: "Drum" });
    await blender.tool("add_object", { type: "cube", name: "Hole" });
    await blender.tool("update_object", { name: "Hole", scale: [0.5, 0.5, 2] });
    await blender.tool("add_modifier", { object: "Drum", type: "boolean", with: "Hole" });
    await blender.tool("add_modifier", { object: "Drum", type: "bevel", width: 0.05, segments: 2 });
    const before = await blender.scene();
    expect(before.objects.find((object) => object.name === "Drum")?.modifiers).toHaveLength(2);

    await blender.killBlender();
    expect(await blender.scene()).toEqual(before);

    await blender.reopen();
    expect(await blender.scene()).toEqual(before);
  });
});
