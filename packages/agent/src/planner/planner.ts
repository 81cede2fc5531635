// The offline planner: a deterministic reader of plain English scene instructions into tool calls
// that validate against the tool contracts. No model, no key, no network: the embedded default.
//
// This file holds the entry point and the ordered table of handlers, and nothing else. The rest,
// by seam (README.md in this folder says how to add an instruction):
//   clauses.ts       a message into clauses; quoted strings set aside
//   values.ts        vectors, colors, materials, counts, angles, distances, directions; rounding
//   references.ts    the objects a clause refers to (noun phrases, names, "it", "everything")
//   placement.ts     where an object goes relative to another, or beside what is there
//   descriptions.ts  the scene and its objects in words, for replies and refusals
//   materials.ts     surface words as set_material arguments and back
//   capabilities.ts  what the planner can do (the help text) and its limits
//   plan-state.ts    the plan being made, and the Handler type
//   world.ts         the planner's model of the scene while it plans
//   lexicon.ts       the words: nouns, sizes, colors of materials, views, resolutions
//   handlers/        one file per family of instructions:
//     conversation-handlers.ts  help, greetings, describe the scene
//     output-handlers.ts        render, export
//     view-handlers.ts          background, camera
//     look-handlers.ts          looks: sunset, night, studio, overcast, neon (world, lights, camera)
//     modifier-handlers.ts      bevel, smooth, hollow, mirror, bumps, cut one object out of another
//     animation-handlers.ts     spin, bounce, move over time; render a video
//     texture-handlers.ts       an uploaded image or a render as an object's texture
//     arrange-handlers.ts       line up, circle, grid or stack objects already in the scene
//     light-handlers.ts         add lights
//     object-handlers.ts        clear, delete, rename, duplicate
//     transform-handlers.ts     move, rotate, scale
//     appearance-handlers.ts    color, surface and size of existing objects
//     add-handlers.ts           add objects
//     composite-handlers.ts     build composites (table, snowman, house, ...) as one group
import type { Scene } from "../scene.ts";
import { capabilitiesText } from "./capabilities.ts";
import { extractQuotes, restoreQuotes, splitClauses } from "./clauses.ts";
import { handleAdd } from "./handlers/add-handlers.ts";
import { handleAnimate, handleRenderAnimation } from "./handlers/animation-handlers.ts";
import { handleEdit } from "./handlers/appearance-handlers.ts";
import { handleArrange } from "./handlers/arrange-handlers.ts";
import { handleComposite } from "./handlers/composite-handlers.ts";
import { handleDescribe, handleGreeting, handleHelp } from "./handlers/conversation-handlers.ts";
import { handleAddLight } from "./handlers/light-handlers.ts";
import { handleLook } from "./handlers/look-handlers.ts";
import { handleModifier } from "./handlers/modifier-handlers.ts";
import { handleClear, handleDelete, handleDuplicate, handleRename } from "./handlers/object-handlers.ts";
import { handleExport, handleRender } from "./handlers/output-handlers.ts";
import { handleTexture } from "./handlers/texture-handlers.ts";
import { handleMove, handleRotate, handleScale } from "./handlers/transform-handlers.ts";
import { handleCamera, handleWorld } from "./handlers/view-handlers.ts";
import type { Handler, PlannedToolCall, PlanState } from "./plan-state.ts";
import { PlannerWorld, PlanRefusal, SceneNeeded } from "./world.ts";

export { CAPABILITIES, capabilitiesText, MAX_OBJECTS_PER_INSTRUCTION } from "./capabilities.ts";
export type { PlannedToolCall } from "./plan-state.ts";

export type PlanResult =
  /** Tool calls to make in order (possibly none), and notes for the reply (help, scene descriptions). */
  | { kind: "plan"; calls: PlannedToolCall[]; notes: string[]; focus: string[] }
  /** The message refers to existing objects: call get_scene and plan again with the scene. */
  | { kind: "needs-scene" }
  /** Something could not be read or does not apply; nothing should be called. */
  | { kind: "refusal"; text: string };

export interface PlanOptions {
  /** The scene from get_scene in this turn: references to missing objects are errors. */
  scene?: Scene;
  /** The scene as last seen (may be stale): used only to name and place new objects. */
  lastSeenScene?: Scene;
  /** Names of the objects the previous turn touched: what "it" means at the start of a message. */
  focus?: readonly string[];
  /** Artifact ids of the project's PNG and JPEG images (uploads, renders), oldest first: "this image" is the last. */
  images?: readonly string[];
}

/**
 * Every handler, in the order they are tried on a clause: the first that reads it wins, so the order
 * decides between handlers that could read the same words. handleAdd, which reads any phrase with an
 * object noun, comes last. A new handler goes here and nowhere else.
 */
const HANDLERS: Handler[] = [
  handleHelp,
  handleGreeting,
  handleDescribe,
  handleLook,
  handleClear,
  handleRenderAnimation,
  handleRender,
  handleExport,
  handleWorld,
  handleCamera,
  handleDelete,
  handleRename,
  handleDuplicate,
  handleTexture,
  handleModifier,
  handleAnimate,
  handleArrange,
  handleRotate,
  handleScale,
  handleMove,
  handleComposite,
  handleAddLight,
  handleEdit,
  handleAdd,
];

/**
 * Reads a message into tool calls. Pure and deterministic: the same text and scene give the same plan.
 * Returns `needs-scene` when the message refers to objects it has not been shown (call get_scene and
 * plan again with `scene`), and `refusal` (with what it can do) when any part cannot be read.
 */
export function planInstructions(message: string, options: PlanOptions = {}): PlanResult {
  const { text, quotes } = extractQuotes(message.trim().replace(/\s+/g, " "));
  const world = new PlannerWorld(options.scene ?? options.lastSeenScene, options.scene !== undefined, options.focus ?? []);
  const state: PlanState = { world, calls: [], notes: [], quotes, images: options.images ?? [] };
  const clauses = splitClauses(
    text
      .replace(/’/g, "'")
      .replace(/\blet's\b/gi, "let us")
      .replace(/\b(\w+)'s\b(?! (?:a|an|the)\b)/g, "$1"),
  );
  if (clauses.length === 0) return { kind: "refusal", text: `Tell me what to do with the scene.\n${capabilitiesText()}` };
  for (const clause of clauses) {
    try {
      const handled = HANDLERS.some((handler) => handler(clause, state));
      if (!handled) {
        return {
          kind: "refusal",
          text: `I could not read "${restoreQuotes(clause.original, quotes)}", so I did nothing.\n${capabilitiesText()}`,
        };
      }
    } catch (error) {
      if (error instanceof SceneNeeded) return { kind: "needs-scene" };
      if (error instanceof PlanRefusal) {
        return { kind: "refusal", text: `${error.message} I did nothing.${error.listCapabilities ? `\n${capabilitiesText()}` : ""}` };
      }
      throw error;
    }
  }
  return { kind: "plan", calls: state.calls, notes: state.notes, focus: world.focus };
}
