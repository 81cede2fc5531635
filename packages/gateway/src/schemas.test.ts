// Project names: ordinary names in any script pass (trimmed); control characters, line separators and
// bidirectional formatting characters are refused with the rule in the message.
import { describe, expect, it } from "vitest";
import { CreateProjectBodySchema, MAX_PROJECT_NAME_CHARS, PROJECT_NAME_RULE, ProjectNameSchema } from "./schemas.ts";

describe("project names", () => {
  it("accepts names in any script, emoji and inner spaces, trimmed", () => {
    for (const name of ["Red cube", "Café – v2", "日本語のシーン", "مشهد", "שלום", "👩‍🚀 rocket", "a".repeat(MAX_PROJECT_NAME_CHARS)]) {
      expect(ProjectNameSchema.parse(name), name).toBe(name);
    }
    expect(ProjectNameSchema.parse("  \tRed cube \n")).toBe("Red cube");
  });

  it("refuses control characters, line separators and bidirectional formatting characters", () => {
    const forbidden = [
      "\u0000",
      "\u0007",
      "\b",
      "\t",
      "\n",
      "\r",
      "\u001b[31m",
      "\u007f",
      "\u0085",
      "\u009b",
      "\u2028",
      "\u2029",
      "\u061c",
      "\u200e",
      "\u200f",
      "\u202a",
      "\u202b",
      "\u202c",
      "\u202d",
      "\u202e",
      "\u2066",
      "\u2067",
      "\u2068",
      "\u2069",
    ];
    for (const bad of forbidden) {
      const name = `invoice${bad}fdp.exe`;
      const result = ProjectNameSchema.safeParse(name);
      expect(result.success, JSON.stringify(name)).toBe(false);
      const message = result.error?.issues[0]?.message ?? "";
      expect(message).toContain(`U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`);
      expect(message).toContain("bidirectional formatting characters are not allowed");
    }
  });

  it("refuses names that are empty after trimming or too long", () => {
    expect(ProjectNameSchema.safeParse(" \t ").success).toBe(false);
    expect(ProjectNameSchema.safeParse("a".repeat(MAX_PROJECT_NAME_CHARS + 1)).success).toBe(false);
  });

  it("is the rule the API's request body and its documentation carry", () => {
    expect(CreateProjectBodySchema.safeParse({ name: "Sunset\u202eflow" }).success).toBe(false);
    expect(CreateProjectBodySchema.shape.name.description).toBe(`${PROJECT_NAME_RULE}.`);
    expect(PROJECT_NAME_RULE).toContain(String(MAX_PROJECT_NAME_CHARS));
  });
});
