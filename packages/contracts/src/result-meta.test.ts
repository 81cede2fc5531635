// The idempotency key's rule: what the worker accepts as `_meta["bod/idempotencyKey"]`.
import { describe, expect, it } from "vitest";
import { IDEMPOTENCY_KEY_RULE, isIdempotencyKey, MAX_IDEMPOTENCY_KEY_LENGTH, REQUEST_META_KEYS } from "./result-meta.ts";

describe("idempotency keys", () => {
  it("accepts 1 to 128 visible ASCII characters", () => {
    expect(REQUEST_META_KEYS.idempotencyKey).toBe("bod/idempotencyKey");
    for (const key of ["a", "0f8fad5b-d9cb-469f-a165-70867728950e", "!~", "x".repeat(MAX_IDEMPOTENCY_KEY_LENGTH), "turn:7/call#3"])
      expect(isIdempotencyKey(key)).toBe(true);
  });

  it("refuses empty, long, spaced, control, non-ASCII and non-string keys, and says what is allowed", () => {
    for (const key of ["", "x".repeat(MAX_IDEMPOTENCY_KEY_LENGTH + 1), "a b", "a\tb", "a\nb", "é", "\u007f", 42, null, undefined, ["a"]])
      expect(isIdempotencyKey(key)).toBe(false);
    expect(IDEMPOTENCY_KEY_RULE).toMatch(/1 to 128 visible ASCII characters/);
  });
});
