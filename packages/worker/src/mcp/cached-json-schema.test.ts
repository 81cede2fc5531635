import { describe, expect, it } from "vitest";
import { z } from "zod";
import { cacheJsonSchema } from "./cached-json-schema.ts";

describe("cacheJsonSchema", () => {
  it("converts once, hands out a frozen tree, and still validates", () => {
    const schema = cacheJsonSchema(z.strictObject({ name: z.string().min(1), size: z.number().max(10).optional() }));
    const standard = schema["~standard"] as unknown as { jsonSchema: { input: (o: object) => Record<string, unknown> } };
    const first = standard.jsonSchema.input({ target: "draft-2020-12" });
    const second = standard.jsonSchema.input({ target: "draft-2020-12" });
    expect(second).toBe(first);
    expect(Object.isFrozen(first.properties)).toBe(true);
    expect(first).toEqual(z.toJSONSchema(z.strictObject({ name: z.string().min(1), size: z.number().max(10).optional() })));
    expect(schema.safeParse({ name: "a", extra: 1 }).success).toBe(false);
    expect(schema["~standard"].validate({ name: "ok" })).toEqual({ value: { name: "ok" } });
  });
});
