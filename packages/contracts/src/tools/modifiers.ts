// Modifier tools: non-destructive changes to an object's shape (bevel, subdivision, array, mirror,
// solidify, boolean, displace) that stay editable and are listed by get_scene.
import { z } from "zod";
import { ObjectNameSchema, SceneObjectSchema } from "../schemas.ts";
import { defineTool } from "../tool-contract.ts";

/** The modifier types add_modifier makes. */
export const MODIFIER_TYPES = ["bevel", "subdivision", "array", "mirror", "solidify", "boolean", "displace"] as const;
export type ModifierType = (typeof MODIFIER_TYPES)[number];

export const BOOLEAN_OPERATIONS = ["difference", "union", "intersect"] as const;
export const MIRROR_AXES = ["x", "y", "z"] as const;

/** The settings each modifier type takes; any other setting is refused with this list. */
export const MODIFIER_SETTINGS = {
  bevel: ["width", "segments"],
  subdivision: ["levels"],
  array: ["count", "offset"],
  mirror: ["axes"],
  solidify: ["thickness"],
  boolean: ["operation", "with", "hideCutter"],
  displace: ["strength", "scale"],
} as const satisfies Record<ModifierType, readonly string[]>;

type SettingName = (typeof MODIFIER_SETTINGS)[ModifierType][number];
const ALL_SETTINGS = [...new Set(Object.values(MODIFIER_SETTINGS).flat())] as SettingName[];

/** A modifier's name on its object: the object-name rules. */
const ModifierNameSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[^\p{Cc}]+$/u, "Names cannot contain control characters.")
  .refine((name) => name.trim().length > 0, "Names need a visible character; a name of only spaces cannot be told apart.");

/** Every setting of every type, each optional; which ones a call may give depends on the type. */
const settingFields = {
  width: z.number().min(0).max(100).optional().describe("bevel: how far the bevel cuts in from each edge, in meters; default 0.1."),
  segments: z.number().int().min(1).max(100).optional().describe("bevel: 1 is a flat chamfer, more rounds the edge; default 3."),
  levels: z.number().int().min(0).max(6).optional().describe("subdivision: times each face is split and smoothed (0..6); default 2."),
  count: z.number().int().min(1).max(1000).optional().describe("array: copies in the row, the original included; default 2."),
  offset: z
    .tuple([z.number().min(-1000).max(1000), z.number().min(-1000).max(1000), z.number().min(-1000).max(1000)])
    .optional()
    .describe(
      "array: step from one copy to the next in multiples of the object's size, [x, y, z]; default [1, 0, 0] (side by side along x).",
    ),
  axes: z
    .array(z.enum(MIRROR_AXES))
    .min(1)
    .max(3)
    .refine((axes) => new Set(axes).size === axes.length, "Name each axis once.")
    .optional()
    .describe('mirror: the object\'s own axes to mirror across, at its origin; default ["x"].'),
  thickness: z.number().min(-100).max(100).optional().describe("solidify: wall thickness in meters (negative grows inward); default 0.1."),
  operation: z
    .enum(BOOLEAN_OPERATIONS)
    .optional()
    .describe("boolean: difference (cut away), union (merge) or intersect (keep the overlap); default difference."),
  with: ObjectNameSchema.optional().describe("boolean: the mesh object to cut, merge or intersect with; required for add_modifier."),
  hideCutter: z
    .boolean()
    .optional()
    .describe("boolean: hide the `with` object from renders (it shows again once no boolean uses it); default true."),
  strength: z
    .number()
    .min(-100)
    .max(100)
    .optional()
    .describe("displace: how far the surface moves, in meters; default 0.3. Subdivide first for detail."),
  scale: z.number().min(0.001).max(1000).optional().describe("displace: size of the bumps of its noise, in meters; default 0.5."),
};

function checkSettings(type: ModifierType, input: Record<string, unknown>, context: z.RefinementCtx) {
  const allowed: readonly string[] = MODIFIER_SETTINGS[type];
  for (const setting of ALL_SETTINGS) {
    if (input[setting] !== undefined && !allowed.includes(setting)) {
      context.addIssue({
        code: "custom",
        path: [setting],
        message: `\`${setting}\` is not a ${type} setting; ${type} takes ${allowed.join(", ")}.`,
      });
    }
  }
}

const ModifierResultSchema = z.object({
  object: SceneObjectSchema.describe("The object with its modifiers."),
});

export const addModifier = defineTool({
  name: "add_modifier",
  title: "Add modifier",
  description: `Add a modifier to a mesh (text and curves take all but boolean and displace): it changes the shape while staying editable (update_modifier) and removable (remove_modifier). Types and their settings: ${MODIFIER_TYPES.map((type) => `${type} {${MODIFIER_SETTINGS[type].join(", ")}}`).join("; ")}. bevel rounds edges; subdivision smooths; array repeats in a row; mirror makes a symmetric copy; solidify gives a surface thickness; boolean cuts another mesh out (difference), merges it (union) or keeps the overlap (intersect), hiding that mesh; displace makes the surface bumpy. Modifiers apply in the order added. Returns the object with its modifiers.`,
  inputSchema: z
    .strictObject({
      object: ObjectNameSchema.describe("The object to change, as named by get_scene."),
      type: z.enum(MODIFIER_TYPES).describe(`One of: ${MODIFIER_TYPES.join(", ")}.`),
      name: ModifierNameSchema.optional().describe("Name of the modifier on this object; default from the type (Bevel, Boolean, ...)."),
      ...settingFields,
    })
    .superRefine((input, context) => {
      checkSettings(input.type, input, context);
      if (input.type === "boolean" && input.with === undefined) {
        context.addIssue({ code: "custom", path: ["with"], message: "A boolean needs `with`: the mesh object to cut with." });
      }
      if (input.with !== undefined && input.with === input.object) {
        context.addIssue({ code: "custom", path: ["with"], message: "An object cannot cut itself: give another object as `with`." });
      }
    }),
  outputSchema: ModifierResultSchema,
  mutatesScene: true,
  timeoutMs: 60_000,
  hints: {},
});

export const updateModifier = defineTool({
  name: "update_modifier",
  title: "Update modifier",
  description:
    "Change settings of a modifier an object has (as listed by get_scene): only the given settings change, and they must be settings of the modifier's type. `newName` renames it.",
  inputSchema: z.strictObject({
    object: ObjectNameSchema.describe("The object the modifier is on."),
    modifier: ModifierNameSchema.describe("The modifier's name, as listed by get_scene."),
    newName: ModifierNameSchema.optional().describe("A new name for the modifier."),
    ...settingFields,
  }),
  outputSchema: ModifierResultSchema,
  mutatesScene: true,
  timeoutMs: 60_000,
  hints: { idempotentHint: true },
});

export const removeModifier = defineTool({
  name: "remove_modifier",
  title: "Remove modifier",
  description:
    "Remove a modifier from an object: its shape goes back to what it is without it. A boolean's hidden `with` object shows again when no other boolean uses it.",
  inputSchema: z.strictObject({
    object: ObjectNameSchema.describe("The object the modifier is on."),
    modifier: ModifierNameSchema.describe("The modifier's name, as listed by get_scene."),
  }),
  outputSchema: ModifierResultSchema,
  mutatesScene: true,
  timeoutMs: 60_000,
  hints: { destructiveHint: true, idempotentHint: true },
});

/** The modifier tools, in the order clients list them. */
export const MODIFIER_TOOLS = [addModifier, updateModifier, removeModifier] as const;
