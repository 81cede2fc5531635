// The planner's reading of the scene tools beyond the core ones: modifiers ("bevel the cube's
// edges"), animation ("make the cube spin once over two seconds and render a video") and textures
// ("use this image as the floor's texture"). Each runs where its tools are in the contracts.
import { findToolContract } from "@bod/contracts";
import { describe, expect, it } from "vitest";
import { readDuration } from "./handlers/animation-handlers.ts";
import { type PlanResult, planInstructions } from "./planner.ts";
import { TABLE_SCENE } from "./table-scene.ts";

const IMAGE = "0123456789abcdef0123456789abcdef.png";

function calls(text: string): Array<[string, Record<string, unknown>]> {
  const result: PlanResult = planInstructions(text, { scene: TABLE_SCENE, images: [IMAGE] });
  if (result.kind !== "plan") throw new Error(`${text}: ${JSON.stringify(result)}`);
  for (const call of result.calls)
    expect(
      findToolContract(call.name)?.inputSchema.safeParse(call.arguments).success,
      `${call.name} ${JSON.stringify(call.arguments)}`,
    ).toBe(true);
  return result.calls.map((call) => [call.name, call.arguments]);
}

describe.skipIf(!findToolContract("add_modifier"))("modifiers", () => {
  it("bevels, smooths, hollows, mirrors, roughens and cuts", () => {
    expect(calls("bevel the cube's edges")).toEqual([["add_modifier", { object: "Cube", type: "bevel", width: 0.2, segments: 3 }]]);
    expect(calls("round the edges of the box")).toEqual([["add_modifier", { object: "Box", type: "bevel", width: 0.4, segments: 3 }]]);
    expect(calls("make the sphere smooth")).toEqual([["add_modifier", { object: "Sphere", type: "subdivision", levels: 2 }]]);
    expect(calls("make the cube hollow")).toEqual([["add_modifier", { object: "Cube", type: "solidify", thickness: 0.1 }]]);
    expect(calls("mirror the cone along y")).toEqual([["add_modifier", { object: "Cone", type: "mirror", axes: ["y"] }]]);
    expect(calls("make the floor bumpy").map(([, args]) => args.type)).toEqual(["subdivision", "displace"]);
    expect(calls("cut the sphere out of the cube")).toEqual([
      ["add_modifier", { object: "Cube", type: "boolean", operation: "difference", with: "Sphere" }],
    ]);
  });

  it("asks which object when none is named", () => {
    expect(planInstructions("bevel the dragon", { scene: TABLE_SCENE })).toMatchObject({ kind: "refusal" });
  });
});

describe.skipIf(!findToolContract("insert_keyframe"))("animation", () => {
  it("reads durations in seconds and frames at the scene's rate", () => {
    expect(readDuration("the cube over two seconds", 24)).toEqual({ frames: 48, rest: "the cube" });
    expect(readDuration("the cube in 30 frames", 24)?.frames).toBe(30);
    expect(readDuration("the cube for half a second", 30)?.frames).toBe(15);
    expect(readDuration("the cube", 24)).toBeUndefined();
  });

  it("spins once over two seconds, loops, and renders a video", () => {
    expect(calls("make the cube spin once over two seconds and render a video")).toEqual([
      ["insert_keyframe", { object: "Cube", property: "rotation", frame: 1, value: [0, 0, 0], interpolation: "linear" }],
      ["insert_keyframe", { object: "Cube", property: "rotation", frame: 49, value: [0, 0, 360], interpolation: "linear" }],
      ["set_timeline", { frameStart: 1, frameEnd: 48 }],
      ["render_animation", { format: "mp4", preset: "preview" }],
    ]);
  });

  it("binds turns, axis and direction to the spin", () => {
    const spin = calls("spin the cone twice in 3 seconds around x clockwise");
    // The cone starts turned 30° about z.
    expect(spin[1]).toEqual([
      "insert_keyframe",
      { object: "Cone", property: "rotation", frame: 73, value: [-720, 0, 30], interpolation: "linear" },
    ]);
  });

  it("a turn without a duration is a rotation now, not a motion", () => {
    expect(calls("spin the cube 90 degrees")).toEqual([["update_object", { name: "Cube", rotation: [0, 0, 90] }]]);
    expect(calls("make the cube rotate 90 degrees")).toEqual([["update_object", { name: "Cube", rotation: [0, 0, 90] }]]);
  });

  it("reads the pace of a spin as seconds per turn", () => {
    expect(calls("make the cube spin slowly")[1]![1]).toMatchObject({ frame: 97, value: [0, 0, 360] });
    expect(calls("make the cube spin fast")[1]![1]).toMatchObject({ frame: 25, value: [0, 0, 360] });
  });

  it("moves over time and bounces", () => {
    expect(calls("move the sphere up by 2 over 3 seconds")).toEqual([
      ["insert_keyframe", { object: "Sphere", property: "location", frame: 1, value: [3, 0, 0], interpolation: "bezier" }],
      ["insert_keyframe", { object: "Sphere", property: "location", frame: 73, value: [3, 0, 2], interpolation: "bezier" }],
      ["set_timeline", { frameStart: 1, frameEnd: 73 }],
    ]);
    const bounce = calls("make the sphere bounce twice");
    expect(bounce.filter(([name]) => name === "insert_keyframe")).toHaveLength(5);
  });

  it("renders a GIF, a PNG sequence, or a small video as asked", () => {
    expect(calls("make a gif")).toEqual([["render_animation", { format: "gif", preset: "preview" }]]);
    expect(calls("render the animation as a png sequence")[0]![1]).toMatchObject({ format: "png_sequence" });
    expect(calls("render a 64x64 video with workbench")).toEqual([
      ["render_animation", { format: "mp4", preset: "preview", width: 64, height: 64, engine: "workbench" }],
    ]);
    expect(planInstructions("render a 65x64 video", { scene: TABLE_SCENE })).toMatchObject({ kind: "refusal" });
  });
});

describe.skipIf(!findToolContract("set_texture"))("textures", () => {
  it("uses the newest image as the floor's texture, repeated across it", () => {
    expect(calls("use this image as the floor's texture")).toEqual([
      ["set_texture", { object: "Floor", map: "base_color", artifactId: IMAGE, projection: "existing", scale: 5 }],
    ]);
    expect(calls("use this image as the cube's normal map")).toEqual([
      ["set_texture", { object: "Cube", map: "normal", artifactId: IMAGE, projection: "box" }],
    ]);
  });

  it("asks for an image when the project has none", () => {
    expect(planInstructions("use this image as the floor's texture", { scene: TABLE_SCENE })).toMatchObject({
      kind: "refusal",
      text: expect.stringContaining("Which image?"),
    });
  });
});

describe("lights", () => {
  it("adds each light of a list", () => {
    expect(calls("add a sun and a point light").map(([name, args]) => [name, args.type])).toEqual([
      ["add_light", "sun"],
      ["add_light", "point"],
    ]);
  });
});
