// Hierarchy tools: parenting objects to each other, groups (an Empty that parents its members) and
// collections (named sets of objects that are shown or hidden together).
import { z } from "zod";
import { CollectionSchema, ObjectNameSchema, SCENE_COLLECTION, SceneObjectSchema, Vector3Schema } from "../schemas.ts";
import { defineTool } from "../tool-contract.ts";

/** Most objects one create_group or move_to_collection call takes. */
export const MAX_OBJECTS_PER_CALL = 500;

/** A collection name: the same rules as object names. */
export const CollectionNameSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[^\p{Cc}]+$/u, "Names cannot contain control characters.")
  .refine((name) => name.trim().length > 0, "Names need a visible character; a name of only spaces cannot be told apart.")
  .describe(`A collection name as shown by get_scene (1..63 characters); "${SCENE_COLLECTION}" is the scene's own.`);

const ObjectListSchema = z
  .array(ObjectNameSchema)
  .min(1, "Name at least one object.")
  .max(MAX_OBJECTS_PER_CALL, `At most ${MAX_OBJECTS_PER_CALL} objects per call.`)
  .refine((names) => new Set(names).size === names.length, "Name each object once.")
  .describe("Object names as shown by get_scene.");

export const setParent = defineTool({
  name: "set_parent",
  title: "Set parent",
  description:
    "Attach an object to a parent so that it moves, turns and scales with it (put the lamp on the table: the lamp follows when the table moves). parent null (or no parent) detaches it. Nothing jumps: the object keeps where it is in the world, and its location, rotation and scale keep their values. get_scene then shows its `parent`, the parent's `children`, and the child's `worldLocation` as the parent moves. Lights can be parented too. An object cannot be its own ancestor.",
  inputSchema: z.strictObject({
    object: ObjectNameSchema.describe("The object to attach or detach."),
    parent: ObjectNameSchema.nullable().optional().describe("The object it moves with from now on; null (or leaving it out) detaches it."),
  }),
  outputSchema: z.object({ object: SceneObjectSchema }),
  mutatesScene: true,
  timeoutMs: 30_000,
  hints: { idempotentHint: true },
});

export const createGroup = defineTool({
  name: "create_group",
  title: "Create group",
  description:
    "Group objects under a new Empty named `name` that parents them, so that moving, rotating or scaling the group (update_object on it) moves them all, and delete_object on the group removes them all. The group sits at `location` (default: the middle of the objects' locations), which is the point it turns and scales about. An object whose parent is also listed keeps that parent. Objects stay where they are.",
  inputSchema: z.strictObject({
    name: ObjectNameSchema.describe("Name of the group (an Empty object); must be free."),
    objects: ObjectListSchema,
    location: Vector3Schema.optional().describe("Where the group's origin goes, [x, y, z] in meters; default the middle of the objects."),
  }),
  outputSchema: z.object({ group: SceneObjectSchema }),
  mutatesScene: true,
  timeoutMs: 30_000,
  hints: {},
});

export const createCollection = defineTool({
  name: "create_collection",
  title: "Create collection",
  description:
    "Create an empty collection: a named set of objects that can be hidden and shown together (set_collection_visibility). Put objects in with move_to_collection.",
  inputSchema: z.strictObject({ name: CollectionNameSchema.describe("Name of the new collection; must be free.") }),
  outputSchema: z.object({ collection: CollectionSchema }),
  mutatesScene: true,
  timeoutMs: 30_000,
  hints: {},
});

export const moveToCollection = defineTool({
  name: "move_to_collection",
  title: "Move to collection",
  description: `Move objects (with their children, so a group moves whole) into a collection, out of any other. "${SCENE_COLLECTION}" takes them back to the scene's own collection.`,
  inputSchema: z.strictObject({
    objects: ObjectListSchema,
    collection: CollectionNameSchema.describe("An existing collection (create_collection makes one)."),
  }),
  outputSchema: z.object({ collection: CollectionSchema, moved: z.array(z.string()).describe("Every object moved, children included.") }),
  mutatesScene: true,
  timeoutMs: 30_000,
  hints: { idempotentHint: true },
});

export const setCollectionVisibility = defineTool({
  name: "set_collection_visibility",
  title: "Set collection visibility",
  description:
    "Hide a collection's objects from renders (hidden true), or show them again (hidden false). The objects stay in the scene and in get_scene, marked hidden.",
  inputSchema: z.strictObject({
    collection: CollectionNameSchema.describe("An existing collection other than the scene's own."),
    hidden: z.boolean().describe("true hides, false shows."),
  }),
  outputSchema: z.object({ collection: CollectionSchema }),
  mutatesScene: true,
  timeoutMs: 30_000,
  hints: { idempotentHint: true },
});

/** The hierarchy tools, in the order clients list them. */
export const HIERARCHY_TOOLS = [setParent, createGroup, createCollection, moveToCollection, setCollectionVisibility] as const;
