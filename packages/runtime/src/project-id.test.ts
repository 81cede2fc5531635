// Unit tests of project id validation: slugs pass, anything path- or URL-like does not.
import { describe, expect, it } from "vitest";
import { assertProjectId, isProjectId } from "./project-id.ts";

describe("project ids", () => {
  it("accepts slugs", () => {
    for (const id of ["a", "p1", "my-project", "a-b-c", "x".repeat(63)]) expect(isProjectId(id)).toBe(true);
  });
  it("refuses anything that could leave the data dir or confuse a URL", () => {
    for (const id of ["", "-a", "a-", "a--b", "A", "a_b", "a.b", "..", "../x", "a/b", "a b", "é", "x".repeat(64), "a%2fb"])
      expect(isProjectId(id), id).toBe(false);
    expect(() => assertProjectId("../etc")).toThrow(/not a project id/);
  });
});
