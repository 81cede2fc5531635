import { findToolContract, toolJsonSchema } from "@bod/contracts";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { cacheJsonSchema } from "./cached-json-schema.ts";

type Standard = { jsonSchema: { input: (o?: object) => Record<string, unknown>; output: (o?: object) => Record<string, unknown> } };

describe("cacheJsonSchema", () => {
  it("converts once, hands out a frozen tree, and still validates", () => {
    const schema = cacheJsonSchema(z.strictObject({ name: z.string().min(1), size: z.number().max(10).optional() }));
    const standard = schema["~standard"] as unknown as Standard;
    const first = standard.jsonSchema.input({ target: "draft-2020-12" });
    const second = standard.jsonSchema.input({ target: "draft-2020-12" });
    expect(second).toBe(first);
    expect(Object.isFrozen(first.properties)).toBe(true);
    expect(first).toEqual(toolJsonSchema(z.strictObject({ name: z.string().min(1), size: z.number().max(10).optional() }), "input"));
    expect(schema.safeParse({ name: "a", extra: 1 }).success).toBe(false);
    expect(schema["~standard"].validate({ name: "ok" })).toEqual({ value: { name: "ok" } });
  });

  it("lists a contract's vectors as items with three places while zod still refuses a 4-vector or a string in one", () => {
    const contract = findToolContract("update_object")!;
    const listed = (cacheJsonSchema(contract.inputSchema)["~standard"] as unknown as Standard).jsonSchema.input({
      target: "draft-2020-12",
    });
    expect(listed).toEqual(toolJsonSchema(contract.inputSchema, "input"));
    expect(JSON.stringify(listed)).not.toMatch(/prefixItems|"items":false|\$schema/);
    const fourVector = contract.inputSchema["~standard"].validate({ name: "Cube", location: [1, 2, 3, 4] });
    expect(fourVector).toMatchObject({ issues: [{ path: ["location"], message: expect.stringMatching(/3/) }] });
    const stringInVector = contract.inputSchema["~standard"].validate({ name: "Cube", translate: [1, "2", 3] });
    expect(stringInVector).toMatchObject({ issues: [{ path: ["translate", 1], message: expect.stringMatching(/number/) }] });
  });
});
