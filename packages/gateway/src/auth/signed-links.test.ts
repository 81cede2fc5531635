// Signed artifact links: right path and time pass; another path, a changed signature or a past expiry do not.
import { describe, expect, it } from "vitest";
import { createLinkSigner } from "./signed-links.ts";

describe("link signer", () => {
  it("verifies its own links until they expire", () => {
    let now = 1_000_000_000_000;
    const signer = createLinkSigner({ key: new Uint8Array(32).fill(7), ttlSeconds: 60, now: () => now });
    const { query } = signer.sign("/api/projects/p/artifacts/a.png");
    const params = new URLSearchParams(query);
    const exp = params.get("exp") ?? undefined;
    const sig = params.get("sig") ?? undefined;
    expect(signer.verify("/api/projects/p/artifacts/a.png", exp, sig)).toBe(true);
    expect(signer.verify("/api/projects/q/artifacts/a.png", exp, sig)).toBe(false);
    expect(signer.verify("/api/projects/p/artifacts/a.png", String(Number(exp) + 1), sig)).toBe(false);
    expect(signer.verify("/api/projects/p/artifacts/a.png", exp, undefined)).toBe(false);
    now += 61_000;
    expect(signer.verify("/api/projects/p/artifacts/a.png", exp, sig)).toBe(false);
  });

  it("refuses short keys", () => {
    expect(() => createLinkSigner({ key: new Uint8Array(8) })).toThrow();
  });
});
