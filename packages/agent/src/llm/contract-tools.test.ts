// The tools an LLM is offered: every contract, run_script only where the operator allowed scripts.
import { SCRIPT_TOOL_NAMES, TOOL_CONTRACTS } from "@bod/contracts";
import { describe, expect, it } from "vitest";
import { contractTools } from "./llm-reasoner.ts";

describe("contractTools", () => {
  it("offers every tool but the script tools when scripts are not allowed", () => {
    const offered = Object.keys(contractTools()).sort();
    const expected = TOOL_CONTRACTS.map((contract) => contract.name)
      .filter((name) => !SCRIPT_TOOL_NAMES.has(name))
      .sort();
    expect(offered).toEqual(expected);
    expect(offered).not.toContain("run_script");
  });

  it("offers run_script too when the workers run scripts", () => {
    const offered = Object.keys(contractTools({ allowScripts: true })).sort();
    expect(offered).toEqual(TOOL_CONTRACTS.map((contract) => contract.name).sort());
    expect(offered).toContain("run_script");
  });
});
