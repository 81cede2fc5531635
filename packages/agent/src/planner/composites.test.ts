// Composites: their parts as pure functions (sizes, resting on the ground, counts, size words), and
// the plans "build a snowman" and the like become, grouped under one name.
import { findToolContract } from "@bod/contracts";
import { describe, expect, it } from "vitest";
import { buildComposite, COMPOSITES, findComposite, partsBounds, partTransform } from "./composites.ts";
import { toolHasField } from "./plan-state.ts";
import { planInstructions } from "./planner.ts";
import { TABLE_SCENE } from "./table-scene.ts";

const DEFAULTS = { size: 1, shape: [1, 1, 1] as [number, number, number], pyramids: true };

function plan(text: string, scene = false) {
  const result = planInstructions(text, scene ? { scene: TABLE_SCENE } : {});
  if (result.kind !== "plan") throw new Error(`${text}: ${JSON.stringify(result)}`);
  for (const call of result.calls) {
    const parsed = findToolContract(call.name)?.inputSchema.safeParse(call.arguments);
    expect(parsed?.success, `${call.name} ${JSON.stringify(call.arguments)}`).toBe(true);
  }
  return result;
}

describe("composite parts", () => {
  it("stand on the ground, centered on their origin, with no part below it", () => {
    for (const kind of COMPOSITES) {
      const bounds = partsBounds(buildComposite(kind, DEFAULTS));
      expect(bounds.min[2], kind.name).toBeCloseTo(0, 6);
      expect(Math.abs(bounds.min[0] + bounds.max[0]), kind.name).toBeLessThan(0.5);
      expect(bounds.max[2], kind.name).toBeGreaterThan(0.2);
    }
  });

  it("a table's legs reach from the ground to the underside of its top", () => {
    const parts = buildComposite(findComposite("table")!, DEFAULTS);
    const top = parts.find((part) => part.label === "Top")!;
    const legs = parts.filter((part) => part.label.startsWith("Leg"));
    expect(legs).toHaveLength(4);
    for (const leg of legs) {
      expect(leg.center[2] - leg.size[2] / 2).toBeCloseTo(0, 6);
      expect(leg.center[2] + leg.size[2] / 2).toBeCloseTo(top.center[2] - top.size[2] / 2, 6);
    }
    expect(buildComposite(findComposite("table")!, { ...DEFAULTS, count: 3 }).filter((part) => part.label.startsWith("Leg"))).toHaveLength(
      3,
    );
  });

  it("a snowman's balls touch, smallest on top", () => {
    const parts = buildComposite(findComposite("snowman")!, DEFAULTS);
    const [base, body, head] = ["Base", "Body", "Head"].map((label) => parts.find((part) => part.label === label)!);
    expect(base!.center[2] + base!.size[2] / 2).toBeGreaterThanOrEqual(body!.center[2] - body!.size[2] / 2 - 1e-9);
    expect(body!.size[0]).toBeLessThan(base!.size[0]);
    expect(head!.size[0]).toBeLessThan(body!.size[0]);
  });

  it("small, big and tall scale every part and every position", () => {
    const kind = findComposite("chair")!;
    const normal = partsBounds(buildComposite(kind, DEFAULTS));
    const small = partsBounds(buildComposite(kind, { ...DEFAULTS, size: 0.5 }));
    const tall = partsBounds(buildComposite(kind, { ...DEFAULTS, shape: [1, 1, 1.5] }));
    expect(small.max[2]).toBeCloseTo(normal.max[2] / 2, 6);
    expect(tall.max[2]).toBeCloseTo(normal.max[2] * 1.5, 6);
    expect(tall.max[0]).toBeCloseTo(normal.max[0], 6);
  });

  it("turns cylinders laid along x or y, swapping their scale's axes", () => {
    expect(
      partTransform({ label: "W", type: "cylinder", center: [0, 0, 0], size: [0.7, 0.25, 0.7], axis: "y", role: "fixed", color: "black" }),
    ).toEqual({
      rotation: [-90, 0, 0],
      scale: [0.35, 0.35, 0.125],
    });
    expect(
      partTransform({ label: "N", type: "cone", center: [0, 0, 0], size: [0.08, 0.2, 0.08], axis: "-y", role: "fixed", color: "orange" })
        .rotation,
    ).toEqual([90, 0, 0]);
  });

  it("a pyramid is a 4-sided cone where add_object has segments, else a stepped pile of boxes", () => {
    const smooth = buildComposite(findComposite("pyramid")!, DEFAULTS);
    expect(smooth).toHaveLength(1);
    expect(smooth[0]).toMatchObject({ type: "cone", segments: 4 });
    const stepped = buildComposite(findComposite("pyramid")!, { ...DEFAULTS, pyramids: false });
    expect(stepped.every((part) => part.type === "cube")).toBe(true);
  });

  it("knows plurals", () => {
    expect(findComposite("snowmen")?.name).toBe("Snowman");
    expect(findComposite("shelves")?.name).toBe("Shelf");
    expect(findComposite("benches")?.name).toBe("Bench");
    expect(findComposite("dragon")).toBeUndefined();
  });
});

describe("composite plans", () => {
  it("builds a snowman as one group of parts", () => {
    const result = plan("build a snowman");
    const adds = result.calls.filter((call) => call.name === "add_object");
    expect(adds.length).toBeGreaterThanOrEqual(5);
    expect(adds.every((call) => String(call.arguments.name).startsWith("Snowman "))).toBe(true);
    if (findToolContract("create_group")) {
      expect(result.calls.at(-1)).toMatchObject({ name: "create_group", arguments: { name: "Snowman", location: [0, 0, 0] } });
      expect(result.calls.at(-1)!.arguments.objects).toEqual(adds.map((call) => call.arguments.name));
    }
    expect(result.focus).toEqual(["Snowman"]);
  });

  it("counts the legs asked for, and refuses a count a table cannot have", () => {
    const legs = plan("make a table with three legs").calls.filter((call) => String(call.arguments.name).startsWith("Table Leg"));
    expect(legs).toHaveLength(3);
    const refused = planInstructions("make a table with 40 legs");
    expect(refused).toMatchObject({ kind: "refusal" });
  });

  it("follows colors and materials: the first color for the body, wooden as brown and rough", () => {
    const car = plan("build a blue car");
    expect(car.calls.find((call) => call.arguments.name === "Car Body")?.arguments.color).toBe("blue");
    expect(car.calls.find((call) => call.arguments.name === "Car Wheel 1")?.arguments.color).toBe("#1a1a1a");
    const table = plan("add a small wooden table");
    expect(table.calls.find((call) => call.arguments.name === "Table Top")?.arguments.color).toBe("#8b5a2b");
    expect(table.calls.find((call) => call.name === "set_material" && call.arguments.name === "Table Top")?.arguments).toMatchObject({
      roughness: 0.8,
    });
  });

  it("stands on the floor of the scene, beside what is there", () => {
    const result = plan("add a chair", true);
    const seat = result.calls.find((call) => call.arguments.name === "Chair Seat")!;
    // TABLE_SCENE's floor is at z -1 and its objects reach x 4.
    const leg = result.calls.find((call) => call.arguments.name === "Chair Leg 1")!;
    const legLocation = leg.arguments.location as number[];
    const legScale = leg.arguments.scale as number[];
    expect(legLocation[2]! - legScale[2]!).toBeCloseTo(-1, 3);
    expect((seat.arguments.location as number[])[0]).toBeGreaterThan(4);
  });

  it("builds several in a row, each its own group", () => {
    const result = plan("add two trees");
    const groups = result.calls.filter((call) => call.name === "create_group").map((call) => call.arguments.name);
    if (findToolContract("create_group")) expect(groups).toEqual(["Tree", "Tree.001"]);
    expect(result.focus).toHaveLength(2);
  });

  it("asks about a word it does not know rather than skipping it", () => {
    expect(planInstructions("build a spooky house")).toMatchObject({ kind: "refusal", text: expect.stringContaining('"spooky"') });
    expect(planInstructions("build a house with a garage")).toMatchObject({ kind: "refusal" });
  });

  it('colors the parts named after "with", and a part of a composite by its name', () => {
    const chair = plan("add a chair with a purple seat and black legs");
    expect(chair.calls.find((call) => call.arguments.name === "Chair Seat")?.arguments.color).toBe("purple");
    expect(chair.calls.find((call) => call.arguments.name === "Chair Leg 3")?.arguments.color).toBe("black");
    expect(chair.calls.find((call) => call.arguments.name === "Chair Back")?.arguments.color).toBe("#8b5a2b");
    expect(plan("add a table, make the table top red").calls.at(-1)).toMatchObject({
      name: "update_object",
      arguments: { name: "Table Top", color: "red" },
    });
    expect(planInstructions("add a table with a red roof")).toMatchObject({ kind: "refusal", text: expect.stringContaining("no roof") });
  });

  it("builds what a composite stands on first, and parents it to that", () => {
    for (const text of ["add a lamp on a table", "add a table with a lamp on it"]) {
      const result = plan(text);
      const groups = result.calls.filter((call) => call.name === "create_group").map((call) => call.arguments.name);
      expect(groups, text).toEqual(["Table", "Lamp"]);
      if (findToolContract("set_parent"))
        expect(result.calls.at(-1), text).toMatchObject({ name: "set_parent", arguments: { object: "Lamp", parent: "Table" } });
    }
    expect(plan("create a simple scene with a table and a chair").calls.filter((call) => call.name === "create_group")).toHaveLength(2);
  });

  it("adds a pyramid as one object", () => {
    const result = plan("add a pyramid");
    expect(result.calls[0]).toMatchObject({
      name: "add_object",
      arguments: { name: "Pyramid", type: toolHasField("add_object", "segments") ? "cone" : "cube" },
    });
  });

  it("puts an object on a composite resting on its top, moving with it", () => {
    const result = plan("add a table and put the sphere on the table", true);
    const top = result.calls.find((call) => call.arguments.name === "Table Top")!;
    const move = result.calls.find((call) => call.name === "update_object" && call.arguments.name === "Sphere")!;
    const topZ = (top.arguments.location as number[])[2]! + (top.arguments.scale as number[])[2]!;
    // The sphere (2 m across) rests on the top: its center one radius above it.
    expect((move.arguments.location as number[])[2]).toBeCloseTo(topZ + 1, 2);
    if (findToolContract("set_parent"))
      expect(result.calls.at(-1)).toMatchObject({ name: "set_parent", arguments: { object: "Sphere", parent: "Table" } });
  });
});

describe("looks", () => {
  it("set the world, the lights and the camera together", () => {
    for (const [text, light] of [
      ["make it look like sunset", "Sunset Sun"],
      ["studio lighting", "Key Light"],
      ["make it night", "Moonlight"],
      ["overcast", "Overcast Sun"],
      ["neon lighting", "Neon Pink"],
    ] as const) {
      const result = plan(text, true);
      const names = result.calls.map((call) => call.name);
      expect(names[0], text).toBe("set_world");
      expect(names.at(-1), text).toBe("set_camera");
      expect(
        result.calls.some((call) => call.name === "add_light" && call.arguments.name === light),
        text,
      ).toBe(true);
    }
  });

  it("are only read when every word is about the look", () => {
    expect(plan("make the cube neon", true).calls).toEqual([
      expect.objectContaining({ name: "set_material", arguments: expect.objectContaining({ name: "Cube", emissionStrength: 5 }) }),
    ]);
    expect(planInstructions("add a neon dragon")).toMatchObject({ kind: "refusal" });
  });
});
