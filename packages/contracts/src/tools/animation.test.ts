import { describe, expect, it } from "vitest";
import { insertKeyframe, MAX_ANIMATION_FRAMES, renderAnimation, setTimeline } from "./animation.ts";

function messages(result: { success: boolean; error?: { issues: { message: string; path: PropertyKey[] }[] } }): string[] {
  return result.success ? [] : (result.error?.issues ?? []).map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

describe("animation contracts", () => {
  it("takes a value shaped for the property and says what each property takes", () => {
    const key = (property: string, value: unknown) => insertKeyframe.inputSchema.safeParse({ object: "Cube", property, frame: 1, value });
    expect(key("location", [1, 2, 3]).success).toBe(true);
    expect(key("rotation", [0, 0, 360]).success).toBe(true);
    expect(key("scale", 2).success).toBe(true);
    expect(key("color", "steelblue").success).toBe(true);
    expect(key("energy", 500).success).toBe(true);
    expect(key("lens", 35).success).toBe(true);
    expect(insertKeyframe.inputSchema.safeParse({ object: "Cube", property: "location", frame: 1 }).success).toBe(true);
    expect(messages(key("location", "up"))).toEqual([expect.stringMatching(/^value: location takes \[x, y, z\] in meters; got "up"/)]);
    expect(messages(key("color", "blurple"))).toEqual([expect.stringMatching(/^value: color takes a color/)]);
    expect(messages(key("energy", [1, 2, 3]))).toEqual([expect.stringMatching(/^value: energy takes watts/)]);
    expect(messages(key("lens", 0))).toEqual([expect.stringMatching(/^value: lens takes a focal length in millimeters, 1\.\.5000/)]);
    expect(messages(key("scale", 0))).toEqual([expect.stringMatching(/^value: scale takes a factor/)]);
    expect(insertKeyframe.inputSchema.safeParse({ object: "Cube", property: "spin", frame: 1 }).success).toBe(false);
    expect(insertKeyframe.inputSchema.safeParse({ object: "Cube", property: "location", frame: -1 }).success).toBe(false);
  });

  it("keeps frame ranges in order and renders within the limits", () => {
    expect(messages(setTimeline.inputSchema.safeParse({ frameStart: 10, frameEnd: 5 }))).toEqual([
      "frameEnd: frameEnd must be at or after frameStart.",
    ]);
    expect(setTimeline.inputSchema.safeParse({ fps: 29.97 }).success).toBe(true);
    expect(setTimeline.inputSchema.safeParse({ fps: 0 }).success).toBe(false);
    expect(messages(renderAnimation.inputSchema.safeParse({ format: "mp4", width: 161 }))).toEqual([
      "width: H.264 video needs an even width; 161 is odd.",
    ]);
    expect(renderAnimation.inputSchema.safeParse({ format: "gif", width: 161 }).success).toBe(true);
    expect(messages(renderAnimation.inputSchema.safeParse({ format: "gif", frameStart: 1, frameEnd: MAX_ANIMATION_FRAMES + 1 }))).toEqual([
      `frameEnd: At most ${MAX_ANIMATION_FRAMES} frames per render.`,
    ]);
    expect(renderAnimation.inputSchema.safeParse({ format: "webm" }).success).toBe(false);
    expect(renderAnimation.inputSchema.safeParse({ format: "png_sequence", preset: "preview" }).success).toBe(true);
  });
});
