// The tool contracts: names, input/output schemas and annotations of every scene tool.
// The MCP server, the agent, the offline planner and the docs all read them from here,
// so reasoning about tools never needs Blender.
import { z } from "zod";
import {
  ADD_OBJECT_TYPES,
  ArtifactIdSchema,
  ArtifactSchema,
  BlenderInfoSchema,
  CameraSchema,
  CollectionSchema,
  ColorSchema,
  EXPORT_FORMATS,
  IMPORT_FORMATS,
  LIGHT_TYPES,
  MAX_RESOLUTION,
  MAX_SAMPLES,
  MAX_SEGMENTS,
  MAX_UPLOAD_BYTES,
  MIN_SEGMENTS,
  ObjectNameSchema,
  PREVIEW_RENDER,
  RENDER_DEFAULTS,
  RENDER_ENGINES,
  RENDER_PRESETS,
  RenderSettingsSchema,
  RotationSchema,
  ScaleSchema,
  SceneLightSchema,
  SceneObjectSchema,
  SEGMENTED_OBJECT_TYPES,
  TimelineSchema,
  Vector3Schema,
  WorldSchema,
} from "./schemas.ts";
import { defineTool, type ToolContract } from "./tool-contract.ts";
import { ANIMATION_TOOLS } from "./tools/animation.ts";
import { HIERARCHY_TOOLS } from "./tools/hierarchy.ts";
import { MODIFIER_TOOLS } from "./tools/modifiers.ts";
import { SCRIPT_TOOLS } from "./tools/script.ts";
import { SHAPE_TOOLS } from "./tools/shapes.ts";
import { TEXTURE_TOOLS } from "./tools/textures.ts";

export type { ToolAnnotations, ToolContract } from "./tool-contract.ts";
export { defineTool } from "./tool-contract.ts";
export * from "./tools/animation.ts";
export * from "./tools/hierarchy.ts";
export * from "./tools/modifiers.ts";
export * from "./tools/script.ts";
export * from "./tools/shapes.ts";
export * from "./tools/textures.ts";

const ObjectResultSchema = z.object({ object: SceneObjectSchema });

export const addObject = defineTool({
  name: "add_object",
  title: "Add object",
  description:
    "Add a primitive object to the scene: cube, uv_sphere, ico_sphere, cylinder, cone, torus, plane, circle, monkey, text (give `text`), or empty (an invisible point to group or parent objects to). Optional name, color, location, rotation in degrees and scale; cylinder, cone and circle take `segments` (a cone with 4 is a square pyramid). Returns the object as stored.",
  inputSchema: z
    .strictObject({
      type: z.enum(ADD_OBJECT_TYPES).describe(`One of: ${ADD_OBJECT_TYPES.join(", ")}.`),
      name: ObjectNameSchema.optional().describe("Name for the new object; defaults to a unique name from the type."),
      text: z.string().min(1).max(1000).optional().describe("The text to show; required when type is text."),
      segments: z
        .number()
        .int()
        .min(MIN_SEGMENTS)
        .max(MAX_SEGMENTS)
        .optional()
        .describe(
          `Sides of a ${SEGMENTED_OBJECT_TYPES.join(", ")} (${MIN_SEGMENTS}..${MAX_SEGMENTS}, default 32); a cone with 4 is a square pyramid.`,
        ),
      color: ColorSchema.optional(),
      location: Vector3Schema.optional(),
      rotation: RotationSchema.optional(),
      scale: ScaleSchema.optional(),
    })
    .superRefine((input, context) => {
      if (input.type === "text" && input.text === undefined) {
        context.addIssue({ code: "custom", path: ["text"], message: "type text needs `text`: the words to show." });
      }
      if (input.type !== "text" && input.text !== undefined) {
        context.addIssue({ code: "custom", path: ["text"], message: "`text` is only for type text." });
      }
      if (input.segments !== undefined && !(SEGMENTED_OBJECT_TYPES as readonly string[]).includes(input.type)) {
        context.addIssue({
          code: "custom",
          path: ["segments"],
          message: `\`segments\` is only for types ${SEGMENTED_OBJECT_TYPES.join(", ")}.`,
        });
      }
      if (input.type === "empty" && input.color !== undefined) {
        context.addIssue({ code: "custom", path: ["color"], message: "An empty has no surface to color." });
      }
    }),
  outputSchema: ObjectResultSchema,
  mutatesScene: true,
  timeoutMs: 30_000,
  hints: {},
});

export const updateObject = defineTool({
  name: "update_object",
  title: "Update object",
  description:
    "Change an existing object: move it (location, or translate by an offset), rotate it (degrees), scale it, rename it, or recolor it. Only the given fields change.",
  inputSchema: z.strictObject({
    name: ObjectNameSchema,
    newName: ObjectNameSchema.optional(),
    location: Vector3Schema.optional(),
    translate: Vector3Schema.optional().describe("Offset added to the current location, [x, y, z] in meters."),
    rotation: RotationSchema.optional(),
    scale: ScaleSchema.optional(),
    color: ColorSchema.optional(),
  }),
  outputSchema: ObjectResultSchema,
  mutatesScene: true,
  timeoutMs: 30_000,
  hints: { idempotentHint: false },
});

export const deleteObject = defineTool({
  name: "delete_object",
  title: "Delete object",
  description:
    "Remove an object (or light) from the scene by name. Its children go with it when withChildren is true (the default for a group, an empty); otherwise they stay where they are, detached. An object another one cuts with (a boolean modifier's `with`) cannot be deleted until that modifier is removed.",
  inputSchema: z.strictObject({
    name: ObjectNameSchema,
    withChildren: z
      .boolean()
      .optional()
      .describe("Also delete its children and theirs; default true for an empty (a group), false for other objects."),
  }),
  outputSchema: z.object({
    deleted: z.string(),
    alsoDeleted: z.array(z.string()).optional().describe("Children deleted with it (withChildren)."),
  }),
  mutatesScene: true,
  timeoutMs: 30_000,
  hints: { destructiveHint: true, idempotentHint: true },
});

export const duplicateObject = defineTool({
  name: "duplicate_object",
  title: "Duplicate object",
  description:
    "Copy an object with its own material, and with everything parented below it (a group's copy has copies of its members); optionally name the copy and place it at an offset from the original.",
  inputSchema: z.strictObject({
    name: ObjectNameSchema,
    newName: ObjectNameSchema.optional(),
    offset: Vector3Schema.optional().describe("Where the copy goes relative to the original, [x, y, z] in meters."),
  }),
  outputSchema: ObjectResultSchema,
  mutatesScene: true,
  timeoutMs: 30_000,
  hints: {},
});

export const setMaterial = defineTool({
  name: "set_material",
  title: "Set material",
  description:
    "Set the surface of an object: base color, metallic (0..1), roughness (0..1), emission color and strength (glow), alpha (1 opaque, 0 invisible). Only the given fields change.",
  inputSchema: z.strictObject({
    name: ObjectNameSchema,
    color: ColorSchema.optional(),
    metallic: z.number().min(0).max(1).optional(),
    roughness: z.number().min(0).max(1).optional(),
    emissionColor: ColorSchema.optional(),
    emissionStrength: z.number().min(0).max(1000).optional().describe("Glow strength; 0 is off, 1..10 glows."),
    alpha: z.number().min(0).max(1).optional(),
  }),
  outputSchema: ObjectResultSchema,
  mutatesScene: true,
  timeoutMs: 30_000,
  hints: { idempotentHint: true },
});

export const addLight = defineTool({
  name: "add_light",
  title: "Add light",
  description:
    "Add a light: point, sun, spot or area, with color, energy (watts; sun: strength in W/m²), location and an optional target to aim at.",
  inputSchema: z.strictObject({
    type: z.enum(LIGHT_TYPES).describe(`One of: ${LIGHT_TYPES.join(", ")}.`),
    name: ObjectNameSchema.optional(),
    color: ColorSchema.optional(),
    energy: z.number().min(0).max(1_000_000).optional().describe("Watts (point, spot, area) or W/m² (sun)."),
    location: Vector3Schema.optional(),
    target: Vector3Schema.optional().describe("Point the light aims at (spot, sun, area)."),
  }),
  outputSchema: z.object({ light: SceneLightSchema }),
  mutatesScene: true,
  timeoutMs: 30_000,
  hints: {},
});

export const setCamera = defineTool({
  name: "set_camera",
  title: "Set camera",
  description:
    "Move the scene camera, aim it at a target point, and set its lens (focal length in mm). Depth of field: focus on an object (focusObject) or at a distance (focusDistance), with an fStop (lower blurs more); giving any of them turns it on, dof false turns it off.",
  inputSchema: z
    .strictObject({
      location: Vector3Schema.optional(),
      target: Vector3Schema.optional().describe("Point the camera looks at."),
      lens: z.number().min(1).max(5000).optional().describe("Focal length in millimeters (50 is normal, 24 wide)."),
      dof: z.boolean().optional().describe("Depth of field on or off; on by itself when a focus or fStop is given."),
      focusObject: ObjectNameSchema.optional().describe("The object kept sharp, wherever it moves; not with focusDistance."),
      focusDistance: z.number().min(0.01).max(10_000).optional().describe("Meters from the camera that are sharp; not with focusObject."),
      fStop: z.number().min(0.1).max(128).optional().describe("Aperture f-number: 1.4 blurs strongly, 16 barely; Blender's default 2.8."),
    })
    .superRefine((input, context) => {
      if (input.focusObject !== undefined && input.focusDistance !== undefined) {
        context.addIssue({ code: "custom", path: ["focusDistance"], message: "Give focusObject or focusDistance, not both." });
      }
    }),
  outputSchema: z.object({ camera: CameraSchema }),
  mutatesScene: true,
  timeoutMs: 30_000,
  hints: { idempotentHint: true },
});

export const setWorld = defineTool({
  name: "set_world",
  title: "Set world",
  description:
    "Set the background: its color and how strongly it lights the scene. A color replaces an HDRI (set_world_hdri) or sky (set_world_sky); strength alone keeps them.",
  inputSchema: z.strictObject({
    color: ColorSchema.optional(),
    strength: z.number().min(0).max(1000).optional(),
  }),
  outputSchema: z.object({ world: WorldSchema }),
  mutatesScene: true,
  timeoutMs: 30_000,
  hints: { idempotentHint: true },
});

export const clearScene = defineTool({
  name: "clear_scene",
  title: "Clear scene",
  description:
    "Remove every object. Lights and the camera stay unless `resetAll` is true, which returns the scene to a new project's: one camera aimed at the origin, one light, no objects.",
  inputSchema: z.strictObject({
    resetAll: z.boolean().optional().describe("Also reset lights, camera, world and render settings."),
  }),
  outputSchema: z.object({ removed: z.array(z.string()) }),
  mutatesScene: true,
  timeoutMs: 30_000,
  hints: { destructiveHint: true, idempotentHint: true },
});

export const getScene = defineTool({
  name: "get_scene",
  title: "Get scene",
  description:
    "Describe the scene: every object with type, transform, dimensions and material, its parent, children (and where a child is in the world), collection and modifiers; lights; camera; world; render settings; collections. Objects are paginated: pass `cursor` from the previous page.",
  inputSchema: z.strictObject({
    cursor: z.string().max(64).optional().describe("nextCursor from the previous page."),
    limit: z.number().int().min(1).max(500).optional().describe("Objects per page, default 100."),
  }),
  outputSchema: z.object({
    objects: z.array(SceneObjectSchema),
    totalObjects: z.number().int(),
    nextCursor: z.string().optional(),
    lights: z.array(SceneLightSchema),
    camera: CameraSchema.nullable(),
    world: WorldSchema,
    render: RenderSettingsSchema,
    timeline: TimelineSchema.optional().describe("The frame range, rate and current frame (set_timeline)."),
    collections: z.array(CollectionSchema).optional().describe("Every collection but the scene's own, with whether it is hidden."),
    blender: BlenderInfoSchema.optional().describe("The Blender that runs the scene."),
  }),
  mutatesScene: false,
  timeoutMs: 30_000,
  hints: { readOnlyHint: true, idempotentHint: true },
});

export const renderFrame = defineTool({
  name: "render_frame",
  title: "Render frame",
  description: `Render the scene through the camera to a PNG. Engine eevee (default, fast), cycles (path traced) or workbench (flat preview); width and height up to ${MAX_RESOLUTION} px (default ${RENDER_DEFAULTS.width}x${RENDER_DEFAULTS.height}); samples up to ${MAX_SAMPLES}. preset preview for a quick look, final for the scene's own settings. Streams progress, with small images of the frame so far for eevee and cycles (a quick look first, then Cycles' samples so far); cancellable. Returns the image and a link to the stored file.`,
  inputSchema: z.strictObject({
    engine: z
      .enum(RENDER_ENGINES)
      .optional()
      .describe(`One of: ${RENDER_ENGINES.join(", ")}; default ${RENDER_DEFAULTS.engine}.`),
    width: z.number().int().min(16).max(MAX_RESOLUTION).optional().describe(`Pixels, default ${RENDER_DEFAULTS.width}.`),
    height: z.number().int().min(16).max(MAX_RESOLUTION).optional().describe(`Pixels, default ${RENDER_DEFAULTS.height}.`),
    samples: z.number().int().min(1).max(MAX_SAMPLES).optional().describe(`Default ${RENDER_DEFAULTS.samples} (eevee, cycles).`),
    preset: z
      .enum(RENDER_PRESETS)
      .optional()
      .describe(
        `One of: ${RENDER_PRESETS.join(", ")}. preview: a quick ${PREVIEW_RENDER.width}x${PREVIEW_RENDER.height} ${PREVIEW_RENDER.engine} look (about a second or less); final: the scene's own engine, size and samples. engine, width, height and samples given beside it win.`,
      ),
  }),
  outputSchema: z.object({
    artifact: ArtifactSchema,
    engine: z.enum(RENDER_ENGINES),
    width: z.number().int(),
    height: z.number().int(),
    samples: z.number().int(),
    renderMs: z.number(),
    preset: z.enum(RENDER_PRESETS).optional().describe("The preset the render started from, when one was asked for."),
    firstLookMs: z
      .number()
      .optional()
      .describe("Milliseconds spent on the first look sent with progress before an eevee or cycles render, when one was sent."),
  }),
  mutatesScene: false,
  timeoutMs: 600_000,
  hints: { readOnlyHint: true, idempotentHint: true },
});

const ExportResultSchema = z.object({
  format: z.enum(EXPORT_FORMATS),
  artifact: ArtifactSchema.describe("The exported file."),
  extraArtifacts: z.array(ArtifactSchema).describe("Companion files (the .mtl of an OBJ)."),
});

export const exportGlb = defineTool({
  name: "export_glb",
  title: "Export GLB",
  description: "Export the whole scene as a binary glTF (.glb) for 3D viewers and the web. Returns a link to the stored file.",
  inputSchema: z.strictObject({}),
  outputSchema: ExportResultSchema,
  mutatesScene: false,
  timeoutMs: 120_000,
  hints: { readOnlyHint: true, idempotentHint: true },
});

export const exportScene = defineTool({
  name: "export_scene",
  title: "Export scene",
  description: `Export the whole scene as ${EXPORT_FORMATS.join(", ")}. Returns a link to the stored file.`,
  inputSchema: z.strictObject({
    format: z.enum(EXPORT_FORMATS).describe(`One of: ${EXPORT_FORMATS.join(", ")}.`),
  }),
  outputSchema: ExportResultSchema,
  mutatesScene: false,
  timeoutMs: 120_000,
  hints: { readOnlyHint: true, idempotentHint: true },
});

export const importModel = defineTool({
  name: "import_model",
  title: "Import model",
  description: `Import a ${IMPORT_FORMATS.join(", ")} model into the scene, from a stored artifact id or uploaded base64 bytes (at most ${MAX_UPLOAD_BYTES / 1024 / 1024} MiB). Returns the names of the new objects.`,
  inputSchema: z
    .strictObject({
      format: z.enum(IMPORT_FORMATS).describe(`One of: ${IMPORT_FORMATS.join(", ")}.`),
      artifactId: ArtifactIdSchema.optional().describe("An artifact id from export_scene or an earlier upload."),
      data: z
        .string()
        .max(Math.ceil((MAX_UPLOAD_BYTES * 4) / 3) + 4, `Uploads are at most ${MAX_UPLOAD_BYTES / 1024 / 1024} MiB.`)
        .regex(/^[A-Za-z0-9+/]*={0,2}$/, "data must be base64.")
        .optional()
        .describe("The file's bytes, base64."),
      location: Vector3Schema.optional(),
    })
    .superRefine((input, context) => {
      if ((input.artifactId === undefined) === (input.data === undefined)) {
        context.addIssue({ code: "custom", path: ["artifactId"], message: "Give exactly one of artifactId or data." });
      }
    }),
  outputSchema: z.object({ objects: z.array(z.string()), artifact: ArtifactSchema.optional() }),
  mutatesScene: true,
  timeoutMs: 120_000,
  hints: {},
});

/**
 * Every tool, in the order clients list them. The core tools are defined above; each further
 * family of tools (modifiers, hierarchy, animation, ...) lives in its own file under tools/ and is
 * spread in here.
 */
export const TOOL_CONTRACTS = [
  addObject,
  updateObject,
  deleteObject,
  duplicateObject,
  setMaterial,
  addLight,
  setCamera,
  setWorld,
  clearScene,
  getScene,
  renderFrame,
  exportGlb,
  exportScene,
  importModel,
  ...ANIMATION_TOOLS,
  ...HIERARCHY_TOOLS,
  ...MODIFIER_TOOLS,
  ...SHAPE_TOOLS,
  ...TEXTURE_TOOLS,
  ...SCRIPT_TOOLS,
] as const;

export type ToolName = (typeof TOOL_CONTRACTS)[number]["name"];

export type ToolInput<Name extends ToolName> = z.input<Extract<(typeof TOOL_CONTRACTS)[number], { name: Name }>["inputSchema"]>;
export type ToolOutput<Name extends ToolName> = z.output<Extract<(typeof TOOL_CONTRACTS)[number], { name: Name }>["outputSchema"]>;

const CONTRACTS_BY_NAME = new Map<string, ToolContract>(TOOL_CONTRACTS.map((tool) => [tool.name, tool as unknown as ToolContract]));

/** The contract of a tool by name, or undefined for an unknown name. */
export function findToolContract(name: string): ToolContract | undefined {
  return CONTRACTS_BY_NAME.get(name);
}
