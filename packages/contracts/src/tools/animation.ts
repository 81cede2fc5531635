// Animation tools: keyframes on transforms, material and light color, light energy and camera
// lens and focus; the timeline (frame range, rate, current frame); and rendering the frame range
// to an MP4 (H.264), a GIF or a zip of PNG frames.
import { z } from "zod";
import { ColorSchema } from "../color.ts";
import {
  ANIMATABLE_PROPERTIES,
  type AnimatableProperty,
  AnimatedPropertySchema,
  ArtifactSchema,
  MAX_COORDINATE,
  MAX_RESOLUTION,
  MAX_SAMPLES,
  ObjectNameSchema,
  PREVIEW_RENDER,
  RENDER_DEFAULTS,
  RENDER_ENGINES,
  RENDER_PRESETS,
  RotationSchema,
  ScaleSchema,
  TimelineSchema,
  Vector3Schema,
} from "../schemas.ts";
import { defineTool } from "../tool-contract.ts";

/** Highest frame number Blender accepts (its MAXFRAME). Frames start at 0. */
export const MAX_FRAME = 1_048_574;
/** Most frames one render_animation renders. */
export const MAX_ANIMATION_FRAMES = 1000;
/** Highest frame rate set_timeline accepts, in frames per second. */
export const MAX_FPS = 240;
/** Largest animation file render_animation stores, in bytes; a larger one fails with payload_too_large. */
export const MAX_ANIMATION_BYTES = 512 * 1024 * 1024;

/** How a keyframe eases into the next: straight line, smooth curve (Blender's default), or a jump. */
export const INTERPOLATIONS = ["linear", "bezier", "constant"] as const;
export type Interpolation = (typeof INTERPOLATIONS)[number];

/** What render_animation writes: an H.264 MP4, an animated GIF, or a zip of numbered PNG frames. */
export const ANIMATION_FORMATS = ["mp4", "gif", "png_sequence"] as const;
export type AnimationFormat = (typeof ANIMATION_FORMATS)[number];

/** The stored file of each format: its extension and media type. */
export const ANIMATION_FILES: Record<AnimationFormat, { extension: string; mimeType: string }> = {
  mp4: { extension: "mp4", mimeType: "video/mp4" },
  gif: { extension: "gif", mimeType: "image/gif" },
  png_sequence: { extension: "zip", mimeType: "application/zip" },
};

/** What `value` must be for each property, and how an error about it reads. */
const VALUE_RULES: Record<AnimatableProperty, { schema: z.ZodType; takes: string }> = {
  location: { schema: Vector3Schema, takes: "[x, y, z] in meters" },
  rotation: { schema: RotationSchema, takes: "[x, y, z] in degrees" },
  scale: { schema: ScaleSchema, takes: "a factor or [x, y, z] factors, each 0.001..10000" },
  color: { schema: ColorSchema, takes: 'a color: a CSS name ("red"), "#rrggbb", or [r, g, b] with channels 0..1' },
  energy: { schema: z.number().min(0).max(1_000_000), takes: "watts (W/m² for a sun), 0..1000000" },
  lens: { schema: z.number().min(1).max(5000), takes: "a focal length in millimeters, 1..5000" },
  focusDistance: { schema: z.number().min(0).max(MAX_COORDINATE), takes: `meters from the camera, 0..${MAX_COORDINATE}` },
};

const frameNumber = z.number().int().min(0).max(MAX_FRAME);

export const insertKeyframe = defineTool({
  name: "insert_keyframe",
  title: "Insert keyframe",
  description: `Animate a property: give it \`value\` at \`frame\` (omit value to key what it is now); between keyframes Blender interpolates. Properties: location ([x, y, z] m), rotation ([x, y, z] degrees), scale (factor or [x, y, z]) of any object, light or camera; color (material base color of an object, or a light's color); energy (a light's watts); lens (a camera's focal length in mm); focusDistance (a camera's focus in meters; blurs once set_camera turns depth of field on). interpolation: linear, bezier (default, eases in and out) or constant (holds, then jumps). Once a property has keyframes they decide its value at every frame. Frames 0..${MAX_FRAME}; set_timeline sets the range render_animation renders.`,
  inputSchema: z
    .strictObject({
      object: ObjectNameSchema.describe("The object, light or camera to animate, as named by get_scene."),
      property: z.enum(ANIMATABLE_PROPERTIES).describe(`One of: ${ANIMATABLE_PROPERTIES.join(", ")}.`),
      frame: frameNumber.describe(`The frame the keyframe is on, 0..${MAX_FRAME}.`),
      value: z
        .union([z.number(), z.tuple([z.number(), z.number(), z.number()]), z.string().max(32)])
        .optional()
        .describe(
          "The value at that frame: [x, y, z] for location, rotation and scale (or one factor for scale), a color for color, a number for energy, lens and focusDistance. Omit to key the current value.",
        ),
      interpolation: z
        .enum(INTERPOLATIONS)
        .optional()
        .describe(`How the animation moves from this keyframe to the next; one of: ${INTERPOLATIONS.join(", ")}; default bezier.`),
    })
    .superRefine((input, context) => {
      if (input.value === undefined) return;
      const rule = VALUE_RULES[input.property];
      const parsed = rule.schema.safeParse(input.value);
      if (!parsed.success) {
        const detail = parsed.error.issues[0]?.message;
        context.addIssue({
          code: "custom",
          path: ["value"],
          message: `${input.property} takes ${rule.takes}; got ${JSON.stringify(input.value)}${detail ? ` (${detail})` : ""}.`,
        });
      }
    }),
  outputSchema: z.object({
    object: z.string(),
    property: z.enum(ANIMATABLE_PROPERTIES),
    frame: z.number().int(),
    value: z
      .union([z.number(), z.array(z.number()), z.string()])
      .describe("The keyed value: [x, y, z] (rotation in degrees), #rrggbb for color, or a number."),
    interpolation: z.enum(INTERPOLATIONS),
    frames: z.array(z.number()).describe("Every frame the property has a keyframe on now, ascending."),
  }),
  mutatesScene: true,
  timeoutMs: 30_000,
  hints: { idempotentHint: true },
});

export const deleteKeyframes = defineTool({
  name: "delete_keyframes",
  title: "Delete keyframes",
  description:
    "Remove keyframes from an object, light or camera: of one property or of all (omit property), at one frame or at every frame (omit frame). What is left keeps its current value. Returns how many keyframes went and what stays animated.",
  inputSchema: z.strictObject({
    object: ObjectNameSchema.describe("The object, light or camera, as named by get_scene."),
    property: z
      .enum(ANIMATABLE_PROPERTIES)
      .optional()
      .describe(`One of: ${ANIMATABLE_PROPERTIES.join(", ")}; omit for every property.`),
    frame: frameNumber.optional().describe("Only the keyframes on this frame; omit for every frame."),
  }),
  outputSchema: z.object({
    object: z.string(),
    deleted: z.number().int().describe("Keyframes removed, one per property and frame."),
    animation: z.array(AnimatedPropertySchema).describe("What stays animated, as get_scene lists it."),
  }),
  mutatesScene: true,
  timeoutMs: 30_000,
  hints: { destructiveHint: true, idempotentHint: true },
});

export const setTimeline = defineTool({
  name: "set_timeline",
  title: "Set timeline",
  description: `Set the scene's frame range (frameStart..frameEnd, what render_animation renders), its frame rate (fps, 1..${MAX_FPS}; 24 is film, 30 video) and the current frame (what render_frame and get_scene show). Only the given fields change. A new project runs frames 1..250 at 24 fps.`,
  inputSchema: z
    .strictObject({
      frameStart: frameNumber.optional().describe("First frame of the animation."),
      frameEnd: frameNumber.optional().describe("Last frame of the animation (inclusive)."),
      fps: z.number().min(1).max(MAX_FPS).optional().describe(`Frames per second, 1..${MAX_FPS}; fractions such as 29.97 are kept.`),
      frameCurrent: frameNumber.optional().describe("The frame the scene is at: render_frame renders it, get_scene describes it."),
    })
    .superRefine((input, context) => {
      if (input.frameStart !== undefined && input.frameEnd !== undefined && input.frameEnd < input.frameStart) {
        context.addIssue({ code: "custom", path: ["frameEnd"], message: "frameEnd must be at or after frameStart." });
      }
    }),
  outputSchema: z.object({ timeline: TimelineSchema }),
  mutatesScene: true,
  timeoutMs: 30_000,
  hints: { idempotentHint: true },
});

const renderEdge = z.number().int().min(16).max(MAX_RESOLUTION);

export const renderAnimation = defineTool({
  name: "render_animation",
  title: "Render animation",
  description: `Render the timeline's frames (or frameStart..frameEnd) through the camera to an mp4 (H.264 video), a gif, or png_sequence (a zip of numbered PNG frames), at the timeline's fps. preset preview renders a quick ${PREVIEW_RENDER.width}x${PREVIEW_RENDER.height} ${PREVIEW_RENDER.engine} look; final uses the scene's own render settings; without a preset it is ${RENDER_DEFAULTS.engine} ${RENDER_DEFAULTS.width}x${RENDER_DEFAULTS.height} at ${RENDER_DEFAULTS.samples} samples; engine, width, height and samples override either. At most ${MAX_ANIMATION_FRAMES} frames; mp4 needs an even width and height. Streams progress per frame; cancellable. Returns a link to the stored file.`,
  inputSchema: z
    .strictObject({
      format: z.enum(ANIMATION_FORMATS).describe(`One of: ${ANIMATION_FORMATS.join(", ")}.`),
      preset: z
        .enum(RENDER_PRESETS)
        .optional()
        .describe(`One of: ${RENDER_PRESETS.join(", ")}; preview is quick and small (as render_frame's), final the scene's settings.`),
      engine: z
        .enum(RENDER_ENGINES)
        .optional()
        .describe(`One of: ${RENDER_ENGINES.join(", ")}.`),
      width: renderEdge.optional().describe("Pixels."),
      height: renderEdge.optional().describe("Pixels."),
      samples: z.number().int().min(1).max(MAX_SAMPLES).optional().describe("Samples per frame (eevee, cycles)."),
      frameStart: frameNumber.optional().describe("First frame to render; default the timeline's."),
      frameEnd: frameNumber.optional().describe("Last frame to render (inclusive); default the timeline's."),
    })
    .superRefine((input, context) => {
      if (input.frameStart !== undefined && input.frameEnd !== undefined) {
        if (input.frameEnd < input.frameStart) {
          context.addIssue({ code: "custom", path: ["frameEnd"], message: "frameEnd must be at or after frameStart." });
        } else if (input.frameEnd - input.frameStart + 1 > MAX_ANIMATION_FRAMES) {
          context.addIssue({ code: "custom", path: ["frameEnd"], message: `At most ${MAX_ANIMATION_FRAMES} frames per render.` });
        }
      }
      if (input.format === "mp4") {
        for (const edge of ["width", "height"] as const) {
          const pixels = input[edge];
          if (pixels !== undefined && pixels % 2 !== 0) {
            context.addIssue({ code: "custom", path: [edge], message: `H.264 video needs an even ${edge}; ${pixels} is odd.` });
          }
        }
      }
    }),
  outputSchema: z.object({
    artifact: ArtifactSchema,
    format: z.enum(ANIMATION_FORMATS),
    preset: z.enum(RENDER_PRESETS).optional().describe("The preset the render started from, when one was asked for."),
    engine: z.enum(RENDER_ENGINES),
    width: z.number().int(),
    height: z.number().int(),
    samples: z.number().int(),
    frameStart: z.number().int(),
    frameEnd: z.number().int(),
    frames: z.number().int().describe("How many frames were rendered."),
    fps: z.number(),
    renderMs: z.number().describe("Blender's time for the frames, in milliseconds (GIF assembly not included)."),
  }),
  mutatesScene: false,
  timeoutMs: 1_800_000,
  hints: { readOnlyHint: true, idempotentHint: true },
});

/** The animation tools, spread into TOOL_CONTRACTS. */
export const ANIMATION_TOOLS = [insertKeyframe, deleteKeyframes, setTimeline, renderAnimation] as const;
