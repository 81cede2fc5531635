import { describe, expect, it } from "vitest";
import { addModifier, MODIFIER_SETTINGS, MODIFIER_TYPES, updateModifier } from "./modifiers.ts";

describe("modifier contracts", () => {
  it("take each type's own settings and refuse the others', naming what the type takes", () => {
    for (const type of MODIFIER_TYPES) {
      expect(addModifier.inputSchema.safeParse({ object: "Cube", type, ...(type === "boolean" ? { with: "Cutter" } : {}) }).success).toBe(
        true,
      );
    }
    const wrong = addModifier.inputSchema.safeParse({ object: "Cube", type: "mirror", thickness: 1 });
    expect(wrong.error?.issues[0]?.message).toBe(
      `\`thickness\` is not a mirror setting; mirror takes ${MODIFIER_SETTINGS.mirror.join(", ")}.`,
    );
  });

  it("need `with` for a boolean, and another object than the one cut", () => {
    expect(addModifier.inputSchema.safeParse({ object: "Cube", type: "boolean" }).error?.issues[0]?.message).toMatch(/needs `with`/);
    expect(addModifier.inputSchema.safeParse({ object: "Cube", type: "boolean", with: "Cube" }).error?.issues[0]?.message).toMatch(
      /cannot cut itself/,
    );
  });

  it("bound every setting", () => {
    expect(addModifier.inputSchema.safeParse({ object: "Cube", type: "subdivision", levels: 7 }).success).toBe(false);
    expect(addModifier.inputSchema.safeParse({ object: "Cube", type: "array", count: 0 }).success).toBe(false);
    expect(addModifier.inputSchema.safeParse({ object: "Cube", type: "mirror", axes: ["x", "x"] }).success).toBe(false);
    expect(updateModifier.inputSchema.safeParse({ object: "Cube", modifier: "Bevel", segments: 0 }).success).toBe(false);
  });
});
