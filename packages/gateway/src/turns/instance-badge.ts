// What the UI's badge says about a project's Blender, from the runtime's instance state: asleep,
// waking, ready (and when it goes to sleep if nothing happens), or sleeping (saving, stopping).
import type { z } from "zod";
import type { InstanceView } from "../ports.ts";
import type { InstanceStateSchema } from "../schemas.ts";

export type BlenderBadge = z.infer<typeof InstanceStateSchema>;

export function badgeFor(instance: InstanceView | undefined, idleTimeoutMs: number, now: number): BlenderBadge {
  if (!instance || instance.state === "stopped")
    return {
      state: "asleep",
      since: instance?.since ?? null,
      sleepsAt: null,
      sleepsInSeconds: null,
      busy: false,
      coldStartMs: instance?.coldStart?.totalMs ?? null,
    };
  const state = instance.state === "starting" ? "waking" : instance.state === "ready" ? "ready" : "sleeping";
  const idle = instance.state === "ready" && instance.inFlight === 0;
  const sleepsAtMs = idle ? Date.parse(instance.lastActivity) + idleTimeoutMs : undefined;
  return {
    state,
    since: instance.since,
    sleepsAt: sleepsAtMs === undefined ? null : new Date(sleepsAtMs).toISOString(),
    sleepsInSeconds: sleepsAtMs === undefined ? null : Math.max(0, Math.round((sleepsAtMs - now) / 1000)),
    busy: instance.inFlight > 0,
    coldStartMs: instance.coldStart?.totalMs ?? null,
  };
}
