// The badge: asleep without an instance, waking while starting, ready with a countdown when idle.
import { describe, expect, it } from "vitest";
import { badgeFor } from "./instance-badge.ts";

describe("badgeFor", () => {
  const at = Date.parse("2026-01-01T00:00:00Z");
  const instance = (state: "starting" | "ready" | "draining" | "stopped", inFlight = 0) => ({
    state,
    since: new Date(at - 5000).toISOString(),
    lastActivity: new Date(at - 15_000).toISOString(),
    inFlight,
  });

  it("maps runtime states to what a person understands", () => {
    expect(badgeFor(undefined, 60_000, at).state).toBe("asleep");
    expect(badgeFor(instance("stopped"), 60_000, at).state).toBe("asleep");
    expect(badgeFor(instance("starting"), 60_000, at).state).toBe("waking");
    expect(badgeFor(instance("draining"), 60_000, at).state).toBe("sleeping");
  });

  it("counts down to sleep only while idle", () => {
    const idle = badgeFor(instance("ready"), 60_000, at);
    expect(idle).toMatchObject({ state: "ready", sleepsInSeconds: 45, busy: false });
    const busy = badgeFor(instance("ready", 1), 60_000, at);
    expect(busy).toMatchObject({ state: "ready", sleepsInSeconds: null, busy: true });
  });
});
