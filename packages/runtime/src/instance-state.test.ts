// Unit tests of the instance state machine.
import { describe, expect, it } from "vitest";
import { assertTransition, canTransition, INSTANCE_STATES } from "./instance-state.ts";

describe("instance states", () => {
  it("allows the life cycle and nothing backwards", () => {
    expect(canTransition("starting", "ready")).toBe(true);
    expect(canTransition("ready", "draining")).toBe(true);
    expect(canTransition("draining", "stopped")).toBe(true);
    expect(canTransition("ready", "stopped")).toBe(true);
    expect(canTransition("draining", "ready")).toBe(false);
    expect(canTransition("stopped", "starting")).toBe(false);
    for (const state of INSTANCE_STATES) expect(canTransition("stopped", state)).toBe(false);
    expect(() => assertTransition("draining", "ready")).toThrow(/cannot go from draining to ready/);
  });
});
