import { describe, expect, expectTypeOf, it } from "vitest";
import { findToolContract, getScene, TOOL_CONTRACTS, type ToolInput, type ToolName, type ToolOutput } from "./tools.ts";

describe("tool contracts", () => {
  it("have unique names that the type system knows", () => {
    const names = TOOL_CONTRACTS.map((tool) => tool.name);
    expect(new Set(names).size).toBe(names.length);
    expectTypeOf<ToolName>().toEqualTypeOf<(typeof names)[number]>();
    expectTypeOf<ToolOutput<"get_scene">>().toHaveProperty("objects");
    expectTypeOf<ToolInput<"add_object">>().toHaveProperty("type");
    expect(findToolContract("get_scene")).toBe(getScene);
    expect(findToolContract("run_python")).toBeUndefined();
  });

  it("reject unknown arguments and non-finite numbers", () => {
    const addObject = findToolContract("add_object")!;
    expect(addObject.inputSchema.safeParse({ type: "cube", python: "import os" }).success).toBe(false);
    expect(addObject.inputSchema.safeParse({ type: "cube", location: [Number.POSITIVE_INFINITY, 0, 0] }).success).toBe(false);
    expect(addObject.inputSchema.safeParse({ type: "cube", location: [Number.NaN, 0, 0] }).success).toBe(false);
    expect(addObject.inputSchema.safeParse({ type: "cube", location: [1, 2, 3], scale: 2, color: "#f80" }).success).toBe(true);
  });

  it("reject object names of only spaces, with the rule in the message", () => {
    const updateObject = findToolContract("update_object")!;
    for (const name of [" ", "   ", "\u00a0\u2003"]) {
      const parsed = updateObject.inputSchema.safeParse({ name, location: [0, 0, 0] });
      expect(parsed.success, JSON.stringify(name)).toBe(false);
      expect(parsed.error?.issues[0]?.message).toMatch(/visible character/);
    }
    expect(findToolContract("add_object")!.inputSchema.safeParse({ type: "cube", name: "  " }).success).toBe(false);
    expect(updateObject.inputSchema.safeParse({ name: " Cube ", location: [0, 0, 0] }).success).toBe(true);
  });
});
