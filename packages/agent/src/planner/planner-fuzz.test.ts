// Many generated instructions through the planner: it never throws, every call it plans validates
// against the contracts, and a refusal never comes with calls. Deterministic (a seeded generator).
import { findToolContract } from "@bod/contracts";
import { describe, expect, it } from "vitest";
import { planInstructions } from "./planner.ts";
import { TABLE_SCENE } from "./table-scene.ts";

function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const PARTS = {
  verb: [
    "add",
    "create",
    "make",
    "put",
    "place",
    "",
    "i want",
    "please add",
    "move",
    "rotate",
    "delete",
    "scale",
    "color",
    "paint",
    "rename",
    "duplicate",
    "render",
    "export",
  ],
  count: ["a", "an", "one", "two", "three", "5", "some", "a dozen", "the", "all the", "it", "every"],
  size: ["", "big", "small", "tiny", "huge"],
  material: ["", "metallic", "glossy", "matte", "glowing", "transparent", "shiny", "golden"],
  color: ["", "red", "blue", "light blue", "#ff8800", "steelblue", "dark green", "grey", "#0f0", "purple"],
  noun: [
    "cube",
    "cubes",
    "sphere",
    "spheres",
    "ball",
    "ico sphere",
    "cylinder",
    "cone",
    "torus",
    "donut",
    "plane",
    "floor",
    "circle",
    "monkey",
    "suzanne",
    'text "Hi"',
    "box",
    "light",
    "sun",
    "camera",
    "background",
    "dragon",
  ],
  tail: [
    "",
    "at 1, 2, 3",
    "above the cube",
    "to the left of the sphere",
    "in a row",
    "in a circle",
    "stacked",
    "up by 2",
    "45 degrees",
    "to Box9",
    "twice as big",
    "on the floor",
    "and render the scene",
    "and export as glb",
    "named Thing",
    "then look from above",
    "by 3",
    "in cycles at 800x600",
  ],
};

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

describe("offline planner on generated instructions", () => {
  it("never throws, and plans only calls the contracts accept", () => {
    const random = seeded(42);
    let planned = 0;
    for (let index = 0; index < 1500; index++) {
      const text = [
        pick(random, PARTS.verb),
        pick(random, PARTS.count),
        pick(random, PARTS.size),
        pick(random, PARTS.material),
        pick(random, PARTS.color),
        pick(random, PARTS.noun),
        pick(random, PARTS.tail),
      ]
        .filter(Boolean)
        .join(" ");
      for (const options of [{}, { scene: TABLE_SCENE }, { lastSeenScene: TABLE_SCENE, focus: ["Sphere"] }]) {
        const result = planInstructions(text, options);
        if (result.kind !== "plan") continue;
        for (const call of result.calls) {
          const parsed = findToolContract(call.name)?.inputSchema.safeParse(call.arguments);
          expect(parsed?.success, `${text} → ${call.name} ${JSON.stringify(call.arguments)}`).toBe(true);
          planned++;
        }
      }
    }
    expect(planned).toBeGreaterThan(1000);
  });

  it("refuses noise without throwing", () => {
    const random = seeded(7);
    const alphabet = "abcdefghijklmnopqrstuvwxyz ,.;!?'\"0123456789#-";
    for (let index = 0; index < 300; index++) {
      const text = Array.from({ length: 1 + Math.floor(random() * 60) }, () => pick(random, [...alphabet])).join("");
      const result = planInstructions(text, { scene: TABLE_SCENE });
      if (result.kind === "plan") {
        for (const call of result.calls)
          expect(findToolContract(call.name)?.inputSchema.safeParse(call.arguments).success, text).toBe(true);
      }
    }
  });
});
