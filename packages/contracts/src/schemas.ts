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

export const OBJECT_TYPES = ["cube", "uv_sphere", "ico_sphere", "cylinder", "cone", "torus", "plane", "circle", "monkey", "text"] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];

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

export const MaterialSchema = z.object({
  name: z.string(),
  baseColor: z.string().describe("#rrggbb (sRGB)."),
  metallic: z.number(),
  roughness: z.number(),
  emissionColor: z.string(),
  emissionStrength: z.number(),
  alpha: z.number(),
});
export type Material = z.infer<typeof MaterialSchema>;

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
});
export type SceneObject = z.infer<typeof SceneObjectSchema>;

export const SceneLightSchema = z.object({
  name: z.string(),
  type: z.enum(LIGHT_TYPES),
  location: z.array(z.number()),
  rotation: z.array(z.number()),
  color: z.string(),
  energy: z.number(),
});
export type SceneLight = z.infer<typeof SceneLightSchema>;

export const CameraSchema = z.object({
  name: z.string(),
  location: z.array(z.number()),
  rotation: z.array(z.number()),
  lens: z.number().describe("Focal length in millimeters."),
});

export const RenderSettingsSchema = z.object({
  engine: z.enum(RENDER_ENGINES),
  width: z.number().int(),
  height: z.number().int(),
  samples: z.number().int(),
});

export const WorldSchema = z.object({ color: z.string(), strength: z.number() });

export { ColorSchema };
