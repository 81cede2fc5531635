// End-to-end tier: add_curve and set_shape (text and curves), and set_camera's depth of field, in
// real Blender, checked through get_scene; and all of it coming back after kill -9 (journal replay)
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

describe("text and curve tools in real Blender", () => {
  it("adds a closed tube through points, colored and placed", async () => {
    const { object } = await blender.tool("add_curve", {
      name: "Frame",
      points: [
        [-1, -1, 0],
        [1, -1, 0],
        [1, 1, 0],
        [-1, 1, 0],
      ],
      closed: true,
      bevelDepth: 0.05,
      color: "gold",
      location: [0, 0, 1],
    });
    expect(object).toMatchObject({ name: "Frame", type: "CURVE", primitive: "curve", modifiers: [] });
    expect(object.shape).toEqual({ extrude: 0, bevelDepth: 0.05, bevelResolution: 4, points: 4, closed: true });
    expect(object.material?.baseColor).toBe("#ffd700");
    expectNear(object.location, [0, 0, 1]);
    // A square of 2 m with a tube 0.1 m thick around it (its corners are mitred, a little inside 2.1).
    for (const side of object.dimensions.slice(0, 2)) {
      expect(side).toBeGreaterThan(2.05);
      expect(side).toBeLessThan(2.11);
    }
    expect(object.dimensions[2]).toBeCloseTo(0.1, 3);
  });

  it("adds a smooth open curve, and refuses too few points", async () => {
    const { object } = await blender.tool("add_curve", {
      name: "Wave",
      points: [
        [0, 0, 0],
        [1, 0, 1],
        [2, 0, 0],
      ],
      smooth: true,
    });
    expect(object.shape).toEqual({ extrude: 0, bevelDepth: 0, bevelResolution: 4, points: 3, closed: false });
    const few = findToolContract("add_curve")!.inputSchema.safeParse({ points: [[0, 0, 0]] });
    expect(few.error?.issues[0]?.message).toBe("A curve needs at least 2 points.");
    const taken = await failure(
      blender.tool("add_curve", {
        name: "Frame",
        points: [
          [0, 0, 0],
          [1, 1, 1],
        ],
      }),
    );
    expect(taken.code).toBe("name_taken");
  });

  it("extrudes and bevels text into 3D letters, and changes its words", async () => {
    await blender.tool("add_object", { type: "text", name: "Title", text: "Hi" });
    const flat = await blender.object("Title");
    expect(flat.shape).toEqual({ extrude: 0, bevelDepth: 0, bevelResolution: 4 });
    expect(flat.dimensions[2]).toBeCloseTo(0, 4);
    const deep = await blender.tool("set_shape", { object: "Title", extrude: 0.2, bevelDepth: 0.02, bevelResolution: 2 });
    expect(deep.object.shape).toEqual({ extrude: 0.2, bevelDepth: 0.02, bevelResolution: 2 });
    expect(deep.object.dimensions[2]).toBeCloseTo(0.44, 3);
    const longer = await blender.tool("set_shape", { object: "Title", text: "Hello there" });
    expect(longer.object.text).toBe("Hello there");
    expect(longer.object.dimensions[0]).toBeGreaterThan(deep.object.dimensions[0]! * 2);
    expect(longer.object.shape?.extrude).toBe(0.2);
  });

  it("refuses set_shape on meshes and words on curves, saying what to use", async () => {
    await blender.tool("add_object", { type: "cube", name: "Crate", location: [5, 0, 0] });
    const mesh = await failure(blender.tool("set_shape", { object: "Crate", extrude: 1 }));
    expect(mesh.message).toBe(
      'set_shape changes text and curve objects; "Crate" is a MESH. For meshes, add_modifier (bevel, solidify) does this.',
    );
    const words = await failure(blender.tool("set_shape", { object: "Wave", text: "no" }));
    expect(words.message).toBe('`text` is for text objects; "Wave" is a curve.');
  });
});

describe("camera depth of field in real Blender", () => {
  it("focuses on an object or at a distance, with an f-stop, and turns off", async () => {
    const scene = await blender.scene();
    expect(scene.camera?.dof).toMatchObject({ enabled: false, focusObject: null });
    const onTitle = await blender.tool("set_camera", { focusObject: "Title", fStop: 1.4 });
    expect(onTitle.camera.dof).toMatchObject({ enabled: true, focusObject: "Title", fStop: 1.4 });
    const atDistance = await blender.tool("set_camera", { focusDistance: 7.5 });
    expect(atDistance.camera.dof).toEqual({ enabled: true, focusObject: null, focusDistance: 7.5, fStop: 1.4 });
    const off = await blender.tool("set_camera", { dof: false });
    expect(off.camera.dof?.enabled).toBe(false);
    expect(off.camera.dof?.focusDistance).toBe(7.5);

    const both = findToolContract("set_camera")!.inputSchema.safeParse({ focusObject: "Title", focusDistance: 2 });
    expect(both.error?.issues[0]?.message).toBe("Give focusObject or focusDistance, not both.");
    const missing = await failure(blender.tool("set_camera", { focusObject: "Nobody" }));
    expect(missing.code).toBe("object_not_found");
    const itself = await failure(blender.tool("set_camera", { focusObject: "Camera" }));
    expect(itself.message).toMatch(/cannot focus on itself/);
  });

  it("keeps the focus on an object through its renames; deleting it leaves a focus distance", async () => {
    await blender.tool("set_camera", { focusObject: "Crate", fStop: 2 });
    await blender.tool("update_object", { name: "Crate", newName: "Box" });
    expect((await blender.scene()).camera?.dof).toMatchObject({ enabled: true, focusObject: "Box", fStop: 2 });
    await blender.tool("delete_object", { name: "Box" });
    expect((await blender.scene()).camera?.dof).toMatchObject({ enabled: true, focusObject: null, focusDistance: 7.5 });
  });

  it("brings text, curves and depth of field back after kill -9 (journal replay) and in a new engine (snapshot)", async () => {
    await blender.tool("set_camera", { focusObject: "Frame", fStop: 4 });
    const before = await blender.scene();
    expect(before.camera?.dof?.focusObject).toBe("Frame");

    await blender.killBlender();
    expect(await blender.scene()).toEqual(before);

    await blender.reopen();
    expect(await blender.scene()).toEqual(before);
  });
});
