import { describe, expect, it } from "vitest";
import { addCurve, MAX_CURVE_POINTS, setShape } from "./shapes.ts";

describe("text and curve contracts", () => {
  it("take 2..MAX_CURVE_POINTS points of three coordinates", () => {
    const point = [0, 0, 0];
    expect(addCurve.inputSchema.safeParse({ points: [point, point] }).success).toBe(true);
    expect(addCurve.inputSchema.safeParse({ points: Array(MAX_CURVE_POINTS + 1).fill(point) }).error?.issues[0]?.message).toBe(
      `A curve takes at most ${MAX_CURVE_POINTS} points.`,
    );
    expect(addCurve.inputSchema.safeParse({ points: [point, [0, 0]] }).success).toBe(false);
  });

  it("bound extrusion and bevel", () => {
    expect(setShape.inputSchema.safeParse({ object: "Text", extrude: -1 }).success).toBe(false);
    expect(setShape.inputSchema.safeParse({ object: "Text", bevelResolution: 33 }).success).toBe(false);
    expect(setShape.inputSchema.safeParse({ object: "Text", extrude: 0.2, bevelDepth: 0.02, text: "Hello" }).success).toBe(true);
  });
});
