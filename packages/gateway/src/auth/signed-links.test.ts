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

  it("accepts only the canonical spelling of the signature and the expiry", () => {
    const signer = createLinkSigner({ key: new Uint8Array(32).fill(7), ttlSeconds: 60, now: () => 1_000_000_000_000 });
    const path = "/api/projects/p/artifacts/a.png";
    const params = new URLSearchParams(signer.sign(path).query);
    const exp = params.get("exp") ?? "";
    const sig = params.get("sig") ?? "";
    expect(sig).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(signer.verify(path, exp, sig)).toBe(true);
    // Each decodes to the same MAC bytes with a lenient base64 decoder.
    // 32 bytes take 43 characters, whose last one carries two unused bits.
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const sameBytesLastChar = sig.slice(0, 42) + alphabet[alphabet.indexOf(sig.slice(42)) ^ 1];
    const variants = [
      `${sig}=`,
      `${sig}==`,
      `${sig}!`,
      `${sig}.`,
      `${sig} `,
      `${sig}\n`,
      ` ${sig}`,
      `${sig.slice(0, 20)}%${sig.slice(20)}`,
      sig.replaceAll("-", "+").replaceAll("_", "/"),
      sameBytesLastChar,
    ].filter((v) => v !== sig);
    expect(variants.length).toBeGreaterThanOrEqual(9);
    for (const variant of variants) {
      expect(Buffer.from(variant, "base64url").equals(Buffer.from(sig, "base64url"))).toBe(true);
      expect(signer.verify(path, exp, variant), JSON.stringify(variant)).toBe(false);
    }
    for (const variant of [`0${exp}`, `${exp}.0`, `+${exp}`, ` ${exp}`, `${exp}e0`]) {
      expect(signer.verify(path, variant, sig), variant).toBe(false);
    }
  });

  it("refuses short keys", () => {
    expect(() => createLinkSigner({ key: new Uint8Array(8) })).toThrow();
  });
});
