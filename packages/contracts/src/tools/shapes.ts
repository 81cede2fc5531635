// Text and curve tools: a curve through given points (a path, a wire, a tube with a bevel) and the
// depth of a text's or curve's extrusion and bevel.
import { z } from "zod";
import {
  ColorSchema,
  MAX_COORDINATE,
  ObjectNameSchema,
  RotationSchema,
  ScaleSchema,
  SceneObjectSchema,
  Vector3Schema,
} from "../schemas.ts";
import { defineTool } from "../tool-contract.ts";

/** Fewest and most points of a curve. */
export const MIN_CURVE_POINTS = 2;
export const MAX_CURVE_POINTS = 1000;

const coordinate = z.number().min(-MAX_COORDINATE).max(MAX_COORDINATE);

const extrude = z.number().min(0).max(100).describe("How far it is pulled out into depth, in meters (0 flat).");
const bevelDepth = z
  .number()
  .min(0)
  .max(100)
  .describe("Radius of the round bevel on its edges, in meters; a curve with one becomes a tube.");
const bevelResolution = z.number().int().min(0).max(32).describe("Segments of the bevel's roundness (0..32); default 4.");

export const addCurve = defineTool({
  name: "add_curve",
  title: "Add curve",
  description: `Add a curve through ${MIN_CURVE_POINTS}..${MAX_CURVE_POINTS} points (a path, a wire, a ring): straight between points, or smooth through them with smooth true; closed joins the last point to the first. A bevelDepth makes it a round tube of that radius (a pipe, a cable, a handle); without one it does not render. Points are relative to its location. Returns the object as stored.`,
  inputSchema: z.strictObject({
    name: ObjectNameSchema.optional().describe("Name for the curve; default Curve."),
    points: z
      .array(z.tuple([coordinate, coordinate, coordinate]))
      .min(MIN_CURVE_POINTS, `A curve needs at least ${MIN_CURVE_POINTS} points.`)
      .max(MAX_CURVE_POINTS, `A curve takes at most ${MAX_CURVE_POINTS} points.`)
      .describe("The points it passes through, each [x, y, z] in meters from its location."),
    closed: z.boolean().optional().describe("Join the last point back to the first; default false."),
    smooth: z.boolean().optional().describe("Curve smoothly through the points instead of straight lines between them; default false."),
    bevelDepth: bevelDepth.optional(),
    bevelResolution: bevelResolution.optional(),
    extrude: extrude.optional(),
    color: ColorSchema.optional(),
    location: Vector3Schema.optional(),
    rotation: RotationSchema.optional(),
    scale: ScaleSchema.optional(),
  }),
  outputSchema: z.object({ object: SceneObjectSchema }),
  mutatesScene: true,
  timeoutMs: 30_000,
  hints: {},
});

export const setShape = defineTool({
  name: "set_shape",
  title: "Set shape",
  description:
    "Shape a text or curve object: extrude gives flat text or a curve depth (3D letters), bevelDepth rounds its edges (or makes a curve a tube), bevelResolution sets how round; text replaces a text object's words. Only the given fields change.",
  inputSchema: z.strictObject({
    object: ObjectNameSchema.describe("A text or curve object, as named by get_scene."),
    extrude: extrude.optional(),
    bevelDepth: bevelDepth.optional(),
    bevelResolution: bevelResolution.optional(),
    text: z.string().min(1).max(1000).optional().describe("New words for a text object."),
  }),
  outputSchema: z.object({ object: SceneObjectSchema }),
  mutatesScene: true,
  timeoutMs: 30_000,
  hints: { idempotentHint: true },
});

/** The text and curve tools, in the order clients list them. */
export const SHAPE_TOOLS = [addCurve, setShape] as const;
