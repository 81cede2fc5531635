import { describe, expect, it } from "vitest";
import { type AnimationProgress, animationProgress } from "./animation-progress.ts";

describe("animationProgress", () => {
  it("counts frames, moves on within a frame by its samples, and never goes back", () => {
    const reported: AnimationProgress[] = [];
    const listen = animationProgress((progress) => reported.push(progress));
    // A sample line before the bridge has said how many frames there are has no frame to belong to.
    listen({ progress: 1, total: 16, message: "sample 1 of 16" });
    listen({ progress: 0, total: 3, message: "frame 0 of 3" });
    listen({ progress: 8, total: 16, message: "sample 8 of 16" });
    listen({ progress: 16, total: 16, message: "sample 16 of 16" });
    listen({ progress: 1, total: 3, message: "frame 1 of 3 (frame number 1)" });
    // The first frame's last log line arriving after the bridge said it was written changes nothing.
    listen({ progress: 16, total: 16, message: "sample 16 of 16" });
    listen({ progress: 4, total: 16, message: "sample 4 of 16" });
    listen({ progress: 2, total: 3, message: "frame 2 of 3 (frame number 2)" });
    listen({ progress: 3, total: 3, message: "frame 3 of 3 (frame number 3)" });
    listen({ progress: 5, total: 16, message: "sample 5 of 16" });
    expect(reported.map((entry) => entry.progress)).toEqual([0, 0.5, 1, 1.25, 2, 3]);
    expect(reported.every((entry) => entry.total === 3)).toBe(true);
    expect(reported[1]?.message).toBe("frame 1 of 3: sample 8 of 16");
    for (let index = 1; index < reported.length; index++) {
      expect(reported[index]?.progress).toBeGreaterThan(reported[index - 1]?.progress ?? Number.POSITIVE_INFINITY);
    }
  });
});
