import { describe, expect, it } from "vitest";
import { isArtifactId, MAX_MCP_REQUEST_BYTES, MAX_UPLOAD_BYTES, RENDER_DEFAULTS } from "./schemas.ts";
import { renderFrame } from "./tools.ts";

describe("facts other programs rely on", () => {
  it("artifact ids: 32 lowercase hex digits, a dot, an extension", () => {
    expect(isArtifactId(`${"0123456789abcdef".repeat(2)}.png`)).toBe(true);
    expect(isArtifactId(`${"a".repeat(32)}.tar8`)).toBe(true);
    for (const id of [
      `${"A".repeat(32)}.png`,
      `${"a".repeat(31)}.png`,
      "a".repeat(32),
      `${"a".repeat(32)}.PNG`,
      `../${"a".repeat(32)}.png`,
      42,
    ]) {
      expect(isArtifactId(id), String(id)).toBe(false);
    }
  });

  it("an MCP request body holds the largest upload as base64 with room for the envelope", () => {
    const base64 = Math.ceil(MAX_UPLOAD_BYTES / 3) * 4;
    expect(MAX_MCP_REQUEST_BYTES - base64).toBeGreaterThan(1024 * 1024);
  });

  it("render_frame says its defaults", () => {
    const { shape } = renderFrame.inputSchema;
    expect(shape.width.description).toContain(String(RENDER_DEFAULTS.width));
    expect(shape.height.description).toContain(String(RENDER_DEFAULTS.height));
    expect(shape.samples.description).toContain(String(RENDER_DEFAULTS.samples));
    expect(shape.engine.description).toContain(`default ${RENDER_DEFAULTS.engine}`);
  });
});
