import { describe, expect, it } from "vitest";
import { toolJsonSchema } from "../tool-json-schema.ts";
import { createGroup, moveToCollection, setParent } from "./hierarchy.ts";

describe("hierarchy contracts", () => {
  it("take parent null or no parent to detach, and show hosts an optional name", () => {
    expect(setParent.inputSchema.parse({ object: "Lamp", parent: null })).toEqual({ object: "Lamp", parent: null });
    expect(setParent.inputSchema.parse({ object: "Lamp" })).toEqual({ object: "Lamp" });
    expect(setParent.inputSchema.safeParse({ object: "Lamp", parent: "" }).success).toBe(false);
    const json = toolJsonSchema(setParent.inputSchema, "input") as {
      properties: Record<string, Record<string, unknown>>;
      required: string[];
    };
    expect(json.required).toEqual(["object"]);
    expect(json.properties.parent).toMatchObject({ type: "string", minLength: 1, maxLength: 63 });
    expect(json.properties.parent).not.toHaveProperty("anyOf");
  });

  it("refuse empty and repeated object lists with the rule", () => {
    expect(createGroup.inputSchema.safeParse({ name: "G", objects: [] }).error?.issues[0]?.message).toBe("Name at least one object.");
    expect(moveToCollection.inputSchema.safeParse({ objects: ["A", "A"], collection: "C" }).error?.issues[0]?.message).toBe(
      "Name each object once.",
    );
  });
});
