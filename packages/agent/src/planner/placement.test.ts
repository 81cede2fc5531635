// Relations between objects read from words and placed with the objects' real boxes: resting on
// (touching), inside, around, next to on a free side, and the words after a noun that nothing reads.
import { describe, expect, it } from "vitest";
import { placeRelative } from "./placement.ts";
import { planInstructions } from "./planner.ts";
import { TABLE_SCENE } from "./table-scene.ts";

function calls(text: string) {
  const result = planInstructions(text, { scene: TABLE_SCENE });
  if (result.kind !== "plan") throw new Error(`${text}: ${JSON.stringify(result)}`);
  return result.calls.map((call) => [call.name, call.arguments] as const);
}

describe("placement", () => {
  it("rests a box on another's top, and keeps a gap for the other sides", () => {
    const table = { center: [0, 0, 0.5] as [number, number, number], size: [2, 1, 1] as [number, number, number] };
    expect(placeRelative(table, "on", [1, 1, 1])).toEqual([0, 0, 1.5]);
    expect(placeRelative(table, "left", [1, 1, 1], 2)).toEqual([-3.5, 0, 0.5]);
    expect(placeRelative(table, "inside", [0.5, 0.5, 0.5])).toEqual([0, 0, 0.5]);
  });

  it("puts a small object inside another, and refuses one that does not fit", () => {
    expect(calls("put a small sphere inside the cube")).toEqual([
      ["add_object", { type: "uv_sphere", name: "Sphere.001", location: [0, 0, 0], scale: 0.5 }],
    ]);
    expect(planInstructions("put a big sphere inside the cube", { scene: TABLE_SCENE })).toMatchObject({ kind: "refusal" });
  });

  it("puts several objects around another, clear of it", () => {
    const spheres = calls("put four spheres around the cube");
    expect(spheres).toHaveLength(4);
    for (const [, args] of spheres) expect(Math.hypot(...(args.location as [number, number, number]).slice(0, 2))).toBeGreaterThan(2.4);
  });

  it("puts a new object next to another on a side nothing occupies", () => {
    // Right of the cone (x -3) is the cube (x 0): the ball goes to the cone's left.
    expect(calls("add a red ball next to the cone")).toEqual([
      ["add_object", { type: "uv_sphere", name: "Sphere.001", color: "red", location: [-6, 0, 0] }],
    ]);
  });

  it("centers an object on another as resting on it", () => {
    expect(calls("center the sphere on the cube")).toEqual([["update_object", { name: "Sphere", location: [0, 0, 2] }]]);
  });

  it("reads a row, ring or stack of objects as their arrangement", () => {
    expect(calls("add a ring of 6 spheres").every(([, args]) => args.type === "uv_sphere")).toBe(true);
    expect(calls("make a row of 4 blue cubes")).toHaveLength(4);
  });

  it("asks about words after the noun that nothing reads", () => {
    expect(planInstructions("put a cube on each side of the sphere", { scene: TABLE_SCENE })).toMatchObject({
      kind: "refusal",
      text: expect.stringContaining('"side"'),
    });
  });

  it("binds degree words and percentages to what they modify", () => {
    expect(calls("move the cube a bit to the left")).toEqual([["update_object", { name: "Cube", translate: [-0.5, 0, 0] }]]);
    expect(calls("make the cube twice as tall")).toEqual([["update_object", { name: "Cube", scale: [1, 1, 2] }]]);
    expect(calls("make the cone three times as wide")).toEqual([["update_object", { name: "Cone", scale: [3, 1, 1] }]]);
    expect(calls("make the cube bigger by 50%")).toEqual([["update_object", { name: "Cube", scale: 1.5 }]]);
    expect(calls("scale the cube by 50%")).toEqual([["update_object", { name: "Cube", scale: 0.5 }]]);
  });

  it("acts on every object joined by and, and on every axis named", () => {
    expect(calls("move the cube and the cone up by 2")).toEqual([
      ["update_object", { name: "Cube", translate: [0, 0, 2] }],
      ["update_object", { name: "Cone", translate: [0, 0, 2] }],
    ]);
    expect(calls("rotate the cube 45 degrees on the x axis and 30 on z")).toEqual([
      ["update_object", { name: "Cube", rotation: [45, 0, 30] }],
    ]);
    expect(calls("scale the cone to 2 on z")).toEqual([["update_object", { name: "Cone", scale: [1, 1, 2] }]]);
  });

  it("deletes all but what is kept, and nothing on words it cannot read", () => {
    expect(calls("delete everything except the cube").map(([, args]) => args.name)).toEqual(["Sphere", "Cone", "Floor", "Box"]);
    expect(planInstructions("remove the color from the cube", { scene: TABLE_SCENE })).toMatchObject({ kind: "refusal" });
  });

  it("moves towards or away from another object, and by several directions at once", () => {
    // The cube (x 0) and the sphere (x 3) are 2 m across each: closer stops where they touch.
    expect(calls("move the cube closer to the sphere")).toEqual([["update_object", { name: "Cube", translate: [1, 0, 0] }]]);
    expect(calls("move the cube away from the sphere")).toEqual([["update_object", { name: "Cube", translate: [-1, 0, 0] }]]);
    expect(calls("move the cube up 2 and left 3")).toEqual([["update_object", { name: "Cube", translate: [-3, 0, 2] }]]);
    for (const text of ["move the sphere up by twice its size", "rotate the cone by 90 degrees twice"])
      expect(planInstructions(text, { scene: TABLE_SCENE }), text).toMatchObject({ kind: "refusal" });
  });

  it("reads a measure for each side it names, in meters or centimeters", () => {
    const scale = (text: string) => calls(text)[0]![1].scale;
    expect(scale("add a cylinder 4 m high and 1 m wide")).toEqual([0.5, 0.5, 2]);
    expect(scale("add a cube 2 meters wide and 1 meter tall")).toEqual([1, 1, 0.5]);
    expect(scale("add a sphere 50 cm wide")).toBe(0.25);
    expect(scale("add a sphere with radius 2")).toBe(2);
    expect(scale("add a 3 m tall cylinder")).toBe(1.5);
  });

  it("arranges objects already there, leaving the floor where it is", () => {
    expect(calls("stack the cube and the sphere")).toEqual([
      ["update_object", { name: "Cube", location: [0, 0, 0] }],
      ["update_object", { name: "Sphere", location: [0, 0, 2] }],
    ]);
    expect(calls("space the objects evenly").map(([, args]) => args.name)).not.toContain("Floor");
    expect(calls("arrange the cube, the sphere and the cone in a circle")).toHaveLength(3);
  });

  it("gives each object its own change, and reads less as the other way", () => {
    expect(calls("make the cube red and the sphere blue")).toEqual([
      ["update_object", { name: "Cube", color: "red" }],
      ["update_object", { name: "Sphere", color: "blue" }],
    ]);
    expect(calls("make the cone less shiny")).toEqual([["set_material", { name: "Cone", roughness: 0.6 }]]);
    expect(planInstructions("make the cube less fancy", { scene: TABLE_SCENE })).toMatchObject({ kind: "refusal" });
  });
});
