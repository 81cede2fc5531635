// Building blocks shared by the tool schemas: vectors, names, artifacts and scene records.
import { z } from "zod";
import { ColorSchema } from "./color.ts";

/** Largest coordinate accepted anywhere, in meters; keeps scenes inside float precision. */
export const MAX_COORDINATE = 100_000;
/** Largest render edge in pixels. */
export const MAX_RESOLUTION = 8192;
/** Largest sample count for a render. */
export const MAX_SAMPLES = 4096;
/** Largest upload accepted by import_model, in bytes (decoded). */
export const MAX_UPLOAD_BYTES = 32 * 1024 * 1024;
/**
 * Largest MCP request body a worker reads, in bytes: an import_model upload of MAX_UPLOAD_BYTES is
 * about 43 MiB as base64, plus the JSON-RPC envelope. The runtime's proxy passes a little more.
 */
export const MAX_MCP_REQUEST_BYTES = 48 * 1024 * 1024;

/** What render_frame uses for each setting it is not given, and what a new project's scene has. */
export const RENDER_DEFAULTS = { engine: "eevee", width: 960, height: 540, samples: 32 } as const;

/** Named render setups: `preview` is quick, `final` uses the scene's own render settings. */
export const RENDER_PRESETS = ["preview", "final"] as const;
export type RenderPreset = (typeof RENDER_PRESETS)[number];

/**
 * What the `preview` preset renders: Workbench (studio light, the objects' own colors, shadows)
 * at 480x270 with FXAA, about 0.15 s warm on a 2-core machine where EEVEE takes 2 s or more.
 */
export const PREVIEW_RENDER = { engine: "workbench", width: 480, height: 270, samples: 1 } as const;

const coordinate = z.number().min(-MAX_COORDINATE).max(MAX_COORDINATE);

/** [x, y, z] in meters. Blender is Z-up: z is height. */
export const Vector3Schema = z.tuple([coordinate, coordinate, coordinate]).describe("[x, y, z] in meters; z is up.");

/** Euler rotation [x, y, z] in degrees. */
export const RotationSchema = z
  .tuple([z.number().min(-36_000).max(36_000), z.number().min(-36_000).max(36_000), z.number().min(-36_000).max(36_000)])
  .describe("Euler rotation [x, y, z] in degrees.");

const scaleFactor = z.number().min(0.001).max(10_000);
/** A uniform factor or per-axis [x, y, z] factors. */
export const ScaleSchema = z
  .union([scaleFactor, z.tuple([scaleFactor, scaleFactor, scaleFactor])])
  .describe("Uniform scale factor, or [x, y, z] factors; each 0.001..10000.");

/** Longest chat message a user may send, in characters: the gateway's API, the agent and `bod chat` hold to it. */
export const MAX_MESSAGE_CHARS = 4000;

/** Blender names: 1..63 characters, no control characters, not only spaces. */
export const ObjectNameSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[^\p{Cc}]+$/u, "Names cannot contain control characters.")
  // A refinement, not a second pattern: the JSON Schema that hosts see keeps one plain pattern.
  .refine((name) => name.trim().length > 0, "Names need a visible character; a name of only spaces cannot be told apart.")
  .describe("An object name as shown by get_scene (1..63 characters).");

/** The shapes add_object makes. */
export const OBJECT_TYPES = ["cube", "uv_sphere", "ico_sphere", "cylinder", "cone", "torus", "plane", "circle", "monkey", "text"] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];

/** What add_object takes: a shape, or an empty (an invisible point that groups or carries other objects). */
export const ADD_OBJECT_TYPES = [...OBJECT_TYPES, "empty"] as const;
export type AddObjectType = (typeof ADD_OBJECT_TYPES)[number];

/** The add_object types whose round profile takes `segments` (a cone of 4 is a square pyramid). */
export const SEGMENTED_OBJECT_TYPES = ["cylinder", "cone", "circle"] as const;
/** Fewest and most segments of a round primitive; Blender's Add menu uses 32. */
export const MIN_SEGMENTS = 3;
export const MAX_SEGMENTS = 256;

/** The collection every scene has, which holds objects put in no other collection. */
export const SCENE_COLLECTION = "Scene Collection";

export const LIGHT_TYPES = ["point", "sun", "spot", "area"] as const;
export type LightType = (typeof LIGHT_TYPES)[number];

export const RENDER_ENGINES = ["eevee", "cycles", "workbench"] as const;
export type RenderEngine = (typeof RENDER_ENGINES)[number];

export const EXPORT_FORMATS = ["glb", "gltf", "obj", "stl", "fbx", "blend"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const IMPORT_FORMATS = ["glb", "gltf", "obj", "stl", "fbx"] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** What an artifact is for; decides where it is listed and how long it is kept. */
export const ARTIFACT_KINDS = ["render", "export", "upload"] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

/** Artifact ids are unguessable: 32 lowercase hex characters (128 random bits), a dot, and the file extension. */
export const ARTIFACT_ID_PATTERN = /^[0-9a-f]{32}\.[a-z0-9]{1,8}$/;

/** Whether `value` is an artifact id (ARTIFACT_ID_PATTERN). */
export function isArtifactId(value: unknown): value is string {
  return typeof value === "string" && ARTIFACT_ID_PATTERN.test(value);
}

export const ArtifactIdSchema = z
  .string()
  .regex(ARTIFACT_ID_PATTERN, "An artifact id looks like 3f2a...9c.png (as returned by render_frame or export_scene).");

export const ArtifactSchema = z.object({
  id: ArtifactIdSchema,
  kind: z.enum(ARTIFACT_KINDS),
  mimeType: z.string(),
  bytes: z.number().int().nonnegative(),
  url: z.string().describe("Where the artifact can be downloaded."),
  createdAt: z.string().describe("ISO 8601 time."),
});
export type Artifact = z.infer<typeof ArtifactSchema>;

/** The image maps a material can have (set_texture). */
export const TEXTURE_MAPS = ["base_color", "roughness", "normal"] as const;
export type TextureMap = (typeof TEXTURE_MAPS)[number];

/** How an image is laid onto a mesh: Blender's smart UV project, a box (cube) projection, or the mesh's own UVs. */
export const TEXTURE_PROJECTIONS = ["smart_uv", "box", "existing"] as const;
export type TextureProjection = (typeof TEXTURE_PROJECTIONS)[number];

/** One image map of a material, as get_scene and set_texture report it. */
export const TextureMapSchema = z.object({
  map: z.enum(TEXTURE_MAPS),
  artifactId: ArtifactIdSchema.describe("The image, an artifact of the project."),
  projection: z.enum(TEXTURE_PROJECTIONS),
  scale: z.number().describe("How many times the image repeats across the surface's UV space."),
  strength: z.number().optional().describe("Normal maps: how strongly the map bends the surface."),
});
export type TextureMapRecord = z.infer<typeof TextureMapSchema>;

export const MaterialSchema = z.object({
  name: z.string(),
  baseColor: z.string().describe("#rrggbb (sRGB)."),
  metallic: z.number(),
  roughness: z.number(),
  emissionColor: z.string(),
  emissionStrength: z.number(),
  alpha: z.number(),
  maps: z.array(TextureMapSchema).optional().describe("Image maps (set_texture), in the order base_color, roughness, normal."),
});
export type Material = z.infer<typeof MaterialSchema>;

/** A modifier as get_scene lists it: its name, type and the settings of that type (add_modifier's fields). */
export const ModifierSchema = z.object({
  name: z.string(),
  type: z.string().describe("bevel, subdivision, array, mirror, solidify, boolean, displace, or Blender's own type name for others."),
  width: z.number().optional().describe("bevel, meters."),
  segments: z.number().int().optional().describe("bevel."),
  levels: z.number().int().optional().describe("subdivision."),
  count: z.number().int().optional().describe("array."),
  offset: z.array(z.number()).optional().describe("array: [x, y, z] in multiples of the object's size."),
  axes: z.array(z.string()).optional().describe("mirror."),
  thickness: z.number().optional().describe("solidify, meters."),
  operation: z.string().optional().describe("boolean: difference, union or intersect."),
  with: z.string().min(1).nullable().optional().describe("boolean: the object it cuts with, or null when there is none."),
  strength: z.number().optional().describe("displace, meters."),
  scale: z.number().optional().describe("displace: size of the bumps, meters."),
  problem: z.string().optional().describe("Why the modifier does nothing now, when it does nothing."),
});

/** How a text or curve object is shaped: depth of its extrusion and round bevel, in meters. */
export const ShapeSchema = z.object({
  extrude: z.number(),
  bevelDepth: z.number(),
  bevelResolution: z.number().int(),
  points: z.number().int().optional().describe("Curve: how many points it passes through."),
  closed: z.boolean().optional().describe("Curve: whether it closes into a loop."),
});

/** What insert_keyframe can animate: transform, material (or light) color, light energy, camera lens and focus. */
export const ANIMATABLE_PROPERTIES = ["location", "rotation", "scale", "color", "energy", "lens", "focusDistance"] as const;
export type AnimatableProperty = (typeof ANIMATABLE_PROPERTIES)[number];

/** One animated property of an object as get_scene lists it: the frames it has keyframes on. */
export const AnimatedPropertySchema = z.object({
  property: z.enum(ANIMATABLE_PROPERTIES),
  frames: z.array(z.number()).describe("Frames with a keyframe, ascending."),
});

/** The scene's frame range and rate; render_animation renders frameStart..frameEnd, render_frame frameCurrent. */
export const TimelineSchema = z.object({
  frameStart: z.number().int(),
  frameEnd: z.number().int(),
  frameCurrent: z.number().int(),
  fps: z.number().describe("Frames per second."),
});

export const SceneObjectSchema = z.object({
  name: z.string(),
  type: z.string().describe("Blender object type: MESH, FONT, CURVE, EMPTY, ..."),
  primitive: z.string().optional().describe("The add_object type it was created as, when known."),
  location: z.array(z.number()),
  rotation: z.array(z.number()).describe("Degrees."),
  scale: z.array(z.number()),
  dimensions: z.array(z.number()).describe("Bounding box size in meters."),
  material: MaterialSchema.nullable(),
  text: z.string().optional(),
  animation: z
    .array(AnimatedPropertySchema)
    .optional()
    .describe("Its animated properties and their keyframes (insert_keyframe); absent when none."),
  parent: z.string().min(1).nullable().optional().describe("The object it moves with (set_parent, create_group), or null."),
  children: z.array(z.string()).optional().describe("Objects parented to it, by name."),
  worldLocation: z
    .array(z.number())
    .optional()
    .describe("Where a child is in the world, in meters, after its parents' moves; its `location` is its own, as when it was parented."),
  collection: z.string().optional().describe(`The collection it is in; "${SCENE_COLLECTION}" when none other.`),
  hidden: z.boolean().optional().describe("True when it does not render: its collection is hidden, or it is a boolean's cutter."),
  modifiers: z.array(ModifierSchema).optional().describe("Modifiers in the order they apply."),
  shape: ShapeSchema.optional().describe("Extrusion and bevel of a text or curve object."),
});
export type SceneObject = z.infer<typeof SceneObjectSchema>;

export const SceneLightSchema = z.object({
  name: z.string(),
  type: z.enum(LIGHT_TYPES),
  location: z.array(z.number()),
  rotation: z.array(z.number()),
  color: z.string(),
  energy: z.number(),
  animation: z
    .array(AnimatedPropertySchema)
    .optional()
    .describe("Its animated properties and their keyframes (insert_keyframe); absent when none."),
  parent: z.string().min(1).nullable().optional().describe("The object it moves with, or null."),
  worldLocation: z.array(z.number()).optional().describe("Where a parented light is in the world, in meters."),
});
export type SceneLight = z.infer<typeof SceneLightSchema>;

export const CameraSchema = z.object({
  name: z.string(),
  location: z.array(z.number()),
  rotation: z.array(z.number()),
  lens: z.number().describe("Focal length in millimeters."),
  animation: z
    .array(AnimatedPropertySchema)
    .optional()
    .describe("Its animated properties and their keyframes (insert_keyframe); absent when none."),
  dof: z
    .object({
      enabled: z.boolean(),
      focusObject: z.string().min(1).nullable().describe("The object kept in focus, or null to focus at focusDistance."),
      focusDistance: z.number().describe("Meters from the camera."),
      fStop: z.number().describe("Aperture; lower blurs more."),
    })
    .optional()
    .describe("Depth of field."),
});

export const RenderSettingsSchema = z.object({
  engine: z.enum(RENDER_ENGINES),
  width: z.number().int(),
  height: z.number().int(),
  samples: z.number().int(),
});

/** The Blender that runs the scene, as get_scene reports it. */
export const BlenderInfoSchema = z.object({
  version: z.string().describe('Blender\'s version, major.minor.patch, e.g. "4.5.3".'),
});

/** What lights the scene from around it: a plain color, an image (HDRI) or a procedural sky. */
export const WORLD_KINDS = ["color", "hdri", "sky"] as const;
export type WorldKind = (typeof WORLD_KINDS)[number];

/** The sky models both Blender 3.4 and 4.x/5.x have (5.0 calls Nishita "single scattering"). */
export const SKY_TYPES = ["nishita", "hosek_wilkie"] as const;
export type SkyType = (typeof SKY_TYPES)[number];

export const WorldSchema = z.object({
  color: z.string().describe("#rrggbb (sRGB): the background color of a color world."),
  strength: z.number(),
  kind: z.enum(WORLD_KINDS).optional().describe("color (set_world), hdri (set_world_hdri) or sky (set_world_sky)."),
  hdri: z
    .object({ artifactId: ArtifactIdSchema, rotation: z.number().describe("Degrees about the vertical axis.") })
    .optional()
    .describe("The environment image, when kind is hdri."),
  sky: z
    .object({
      type: z.enum(SKY_TYPES),
      sunElevation: z.number().describe("Degrees above the horizon."),
      sunRotation: z.number().describe("Degrees about the vertical axis."),
    })
    .optional()
    .describe("The sky, when kind is sky."),
});

/** A collection as get_scene lists it. */
export const CollectionSchema = z.object({
  name: z.string(),
  hidden: z.boolean().describe("Hidden collections' objects do not render."),
  objects: z.number().int().describe("How many objects it holds directly."),
});

export { ColorSchema };
