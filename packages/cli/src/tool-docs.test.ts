import { describe, expect, it } from "vitest";
import { syncToolDocs } from "./tool-docs.ts";

describe("tool reference", () => {
  it("docs/tools.md and the README match the contracts (run bin/bod docs tools when this fails)", async () => {
    expect(await syncToolDocs(true)).toEqual([]);
  });
});
