import { describe, expect, it } from "vitest";
import { PROGRESS_STEP, risingProgress } from "./rising-progress.ts";

describe("risingProgress", () => {
  it("passes rising values unchanged", () => {
    const sent: number[] = [];
    const send = risingProgress<{ progress: number; total: number }>((p) => sent.push(p.progress));
    for (const progress of [0, 1, 2.5, 10]) send({ progress, total: 10 });
    expect(sent).toEqual([0, 1, 2.5, 10]);
  });

  it("lifts a repeated or lower value just above the last, keeping what it carries", () => {
    const sent: Array<{ progress: number; message: string }> = [];
    const send = risingProgress<{ progress: number; total: number; message: string }>((p) => sent.push(p));
    send({ progress: 0, total: 32, message: "started" });
    send({ progress: 0, total: 32, message: "rendering" });
    send({ progress: 4, total: 32, message: "4 samples" });
    send({ progress: 4, total: 32, message: "image" });
    send({ progress: 3, total: 32, message: "late" });
    expect(sent.map((p) => p.message)).toEqual(["started", "rendering", "4 samples", "image", "late"]);
    for (let index = 1; index < sent.length; index++) {
      expect((sent[index] as { progress: number }).progress).toBeGreaterThan((sent[index - 1] as { progress: number }).progress);
    }
    expect(sent[1]?.progress).toBeCloseTo(PROGRESS_STEP, 9);
  });

  it("drops a repeat of the total rather than pass it", () => {
    const sent: number[] = [];
    const send = risingProgress<{ progress: number; total: number }>((p) => sent.push(p.progress));
    send({ progress: 5, total: 5 });
    send({ progress: 5, total: 5 });
    expect(sent).toEqual([5]);
  });
});
