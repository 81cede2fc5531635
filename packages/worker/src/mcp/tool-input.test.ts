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
});
