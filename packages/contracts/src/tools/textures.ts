// Texture and world-image tools: an image (uploaded, or an artifact such as a render) as a
// material's base color, roughness or normal map, and an HDRI or a procedural sky as the world.
import { z } from "zod";
import {
  ArtifactIdSchema,
  ArtifactSchema,
  MAX_UPLOAD_BYTES,
  ObjectNameSchema,
  SceneObjectSchema,
  SKY_TYPES,
  TEXTURE_MAPS,
  TEXTURE_PROJECTIONS,
  TextureMapSchema,
  WorldSchema,
} from "../schemas.ts";
import { defineTool } from "../tool-contract.ts";

/** Largest width or height of an uploaded image, in pixels. */
export const MAX_IMAGE_EDGE = 16_384;
/** Largest image in pixels (64 Mpx: an 8K by 8K image, or a 16K by 4K panorama); Blender holds HDR pixels as 16 bytes each. */
export const MAX_IMAGE_PIXELS = 8192 * 8192;

const MIB = MAX_UPLOAD_BYTES / 1024 / 1024;

/** Base64 bytes of an upload, at most MAX_UPLOAD_BYTES once decoded. */
function uploadData(what: string) {
  return z
    .string()
    .max(Math.ceil((MAX_UPLOAD_BYTES * 4) / 3) + 4, `Uploads are at most ${MIB} MiB.`)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, "data must be base64.")
    .optional()
    .describe(`${what}, base64 (at most ${MIB} MiB).`);
}

function exactlyOneSource(input: { artifactId?: string | undefined; data?: string | undefined }, context: z.RefinementCtx) {
  if ((input.artifactId === undefined) === (input.data === undefined)) {
    context.addIssue({ code: "custom", path: ["artifactId"], message: "Give exactly one of artifactId or data." });
  }
}

export const setTexture = defineTool({
  name: "set_texture",
  title: "Set texture",
  description: `Use an image as an object's base color, roughness or normal map: an uploaded PNG or JPEG (base64 \`data\`, at most ${MIB} MiB, ${MAX_IMAGE_EDGE} px a side and ${MAX_IMAGE_PIXELS / 1024 / 1024} megapixels) or an artifact (an earlier upload or a render_frame result). projection: smart_uv (Blender's smart UV project), box (cube projection) or existing (the mesh's own UVs); default existing when the mesh has UVs, else box. scale repeats the image (2 tiles it twice each way). Returns the object with its material's maps.`,
  inputSchema: z
    .strictObject({
      object: ObjectNameSchema.describe("The mesh object to texture, as named by get_scene."),
      map: z.enum(TEXTURE_MAPS).describe(`Which map the image becomes; one of: ${TEXTURE_MAPS.join(", ")}.`),
      artifactId: ArtifactIdSchema.optional().describe("A PNG or JPEG artifact: an earlier upload or a render_frame result."),
      data: uploadData("A PNG or JPEG image"),
      projection: z
        .enum(TEXTURE_PROJECTIONS)
        .optional()
        .describe(`One of: ${TEXTURE_PROJECTIONS.join(", ")}; default existing when the mesh has UVs, else box.`),
      scale: z.number().min(0.01).max(1000).optional().describe("How many times the image repeats across the surface; default 1."),
      strength: z.number().min(0).max(10).optional().describe("Normal maps only: how strongly the map bends the surface; default 1."),
    })
    .superRefine((input, context) => {
      exactlyOneSource(input, context);
      if (input.strength !== undefined && input.map !== "normal") {
        context.addIssue({ code: "custom", path: ["strength"], message: "`strength` is only for map normal." });
      }
    }),
  outputSchema: z.object({
    object: SceneObjectSchema,
    texture: TextureMapSchema,
    artifact: ArtifactSchema.optional().describe("The uploaded image, stored as an artifact (when `data` was given)."),
  }),
  mutatesScene: true,
  timeoutMs: 120_000,
  hints: { idempotentHint: true },
});

export const removeTexture = defineTool({
  name: "remove_texture",
  title: "Remove texture",
  description: "Take an image map (base_color, roughness or normal) off an object's material; the material's plain values apply again.",
  inputSchema: z.strictObject({
    object: ObjectNameSchema,
    map: z.enum(TEXTURE_MAPS).describe(`One of: ${TEXTURE_MAPS.join(", ")}.`),
  }),
  outputSchema: z.object({ object: SceneObjectSchema }),
  mutatesScene: true,
  timeoutMs: 30_000,
  hints: { destructiveHint: true, idempotentHint: true },
});

export const setWorldHdri = defineTool({
  name: "set_world_hdri",
  title: "Set world HDRI",
  description: `Surround the scene with an environment image that lights it and shows behind it: an uploaded .hdr or .exr (or a PNG/JPEG panorama; base64 \`data\`, at most ${MIB} MiB) or an artifact. strength scales its light (default 1); rotation turns it about the vertical axis in degrees. set_world with a color goes back to a plain background.`,
  inputSchema: z
    .strictObject({
      artifactId: ArtifactIdSchema.optional().describe("An .hdr, .exr, .png or .jpg artifact: an earlier upload or a render."),
      data: uploadData("A Radiance .hdr or OpenEXR image (or a PNG or JPEG panorama)"),
      strength: z.number().min(0).max(1000).optional().describe("How strongly the image lights the scene; default 1."),
      rotation: z.number().min(-360).max(360).optional().describe("Degrees about the vertical axis; default 0."),
    })
    .superRefine(exactlyOneSource),
  outputSchema: z.object({
    world: WorldSchema,
    artifact: ArtifactSchema.optional().describe("The uploaded image, stored as an artifact (when `data` was given)."),
  }),
  mutatesScene: true,
  timeoutMs: 120_000,
  hints: { idempotentHint: true },
});

export const setWorldSky = defineTool({
  name: "set_world_sky",
  title: "Set world sky",
  description:
    "Make the world a procedural daylight sky that lights the scene: the sun's elevation above the horizon and its rotation about the vertical axis (degrees), sky model nishita (default, physically based) or hosek_wilkie, and a strength (default 1). set_world with a color goes back to a plain background.",
  inputSchema: z.strictObject({
    sunElevation: z.number().min(-90).max(90).describe("Degrees above the horizon: 90 is noon overhead, 0 sunset, below 0 night."),
    sunRotation: z.number().min(-360).max(360).describe("Degrees about the vertical axis: where the sun stands around the scene."),
    type: z
      .enum(SKY_TYPES)
      .optional()
      .describe(`Sky model; one of: ${SKY_TYPES.join(", ")}; default nishita.`),
    strength: z.number().min(0).max(1000).optional().describe("How strongly the sky lights the scene; default 1."),
  }),
  outputSchema: z.object({ world: WorldSchema }),
  mutatesScene: true,
  timeoutMs: 60_000,
  hints: { idempotentHint: true },
});

/** The texture and world-image tools, spread into TOOL_CONTRACTS. */
export const TEXTURE_TOOLS = [setTexture, removeTexture, setWorldHdri, setWorldSky] as const;
