// The bridge runs inside Blender's Python and cannot import the contracts, so its copy of the
// render defaults (a new project's render settings) is held to the contracts' RENDER_DEFAULTS here.
import { readFileSync } from "node:fs";
import { RENDER_DEFAULTS } from "@bod/contracts";
import { describe, expect, it } from "vitest";

const BRIDGE = readFileSync(new URL("../../python/bod_bridge/common.py", import.meta.url), "utf8");

describe("the bridge's render defaults", () => {
  it("are the contracts' RENDER_DEFAULTS", () => {
    const line = /^DEFAULT_RENDER = (\{.*\})$/m.exec(BRIDGE)?.[1];
    expect(line, "bod_bridge/common.py defines DEFAULT_RENDER on one line").toBeDefined();
    expect(JSON.parse(line!)).toEqual(RENDER_DEFAULTS);
  });
});
