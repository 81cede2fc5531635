import { describe, expect, it } from "vitest";
import { ColorSchema, colorToLinear, linearToHex, parseColorToSrgb } from "./color.ts";

describe("colors", () => {
  it("reads CSS names, short and long hex, and sRGB triples alike", () => {
    expect(parseColorToSrgb("red")).toEqual([1, 0, 0]);
    expect(parseColorToSrgb("Steel Blue")).toEqual(parseColorToSrgb("steelblue"));
    expect(parseColorToSrgb("#f80")).toEqual(parseColorToSrgb("#ff8800"));
    expect(parseColorToSrgb([0.5, 0.5, 0.5])).toEqual([0.5, 0.5, 0.5]);
    expect(parseColorToSrgb("blurple")).toBeUndefined();
  });

  it("converts display colors to linear light and back", () => {
    expect(colorToLinear("#808080")[0]).toBeCloseTo(0.2159, 4);
    expect(linearToHex(colorToLinear("#336699"))).toBe("#336699");
    expect(linearToHex(colorToLinear("gold"))).toBe("#ffd700");
  });

  it("explains what is allowed when a color is unknown", () => {
    const result = ColorSchema.safeParse("#12345");
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/CSS color name.*hex.*\[r, g, b\]/);
    expect(ColorSchema.safeParse([2, 0, 0]).success).toBe(false);
  });
});
