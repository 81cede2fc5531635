import { describe, expect, it } from "vitest";
import { toBridgeArguments } from "./tool-input.ts";

describe("toBridgeArguments", () => {
  it("turns display colors into linear RGB", () => {
    const args = toBridgeArguments({ color: "#808080", emissionColor: "red" });
    expect(args.color).toEqual([expect.closeTo(0.2159, 3), expect.closeTo(0.2159, 3), expect.closeTo(0.2159, 3)]);
    expect(args.emissionColor).toEqual([1, 0, 0]);
  });

  it("expands a uniform scale and drops undefined fields", () => {
    expect(toBridgeArguments({ scale: 2, name: undefined, location: [1, 2, 3] })).toEqual({ scale: [2, 2, 2], location: [1, 2, 3] });
  });

  it("gives insert_keyframe's value the shape of its property", () => {
    expect(toBridgeArguments({ object: "Cube", property: "color", frame: 1, value: "red" }).value).toEqual([1, 0, 0]);
    expect(toBridgeArguments({ object: "Cube", property: "scale", frame: 1, value: 2 }).value).toEqual([2, 2, 2]);
    expect(toBridgeArguments({ object: "Lamp", property: "energy", frame: 1, value: 2 }).value).toBe(2);
    expect(toBridgeArguments({ object: "Cube", property: "location", frame: 1, value: [1, 2, 3] }).value).toEqual([1, 2, 3]);
  });
});
