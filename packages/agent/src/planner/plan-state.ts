// What a plan is made of while it is being made: the calls so far, the notes for the reply, the
// planner's world, and the shape every handler has.
import { findToolContract, type ToolName } from "@bod/contracts";
import type { Clause } from "./clauses.ts";
import type { PlannerWorld } from "./world.ts";

/** One tool call the plan makes, with a sentence saying what it does. */
export interface PlannedToolCall {
  name: ToolName;
  arguments: Record<string, unknown>;
  summary: string;
}

/** The plan being made, which every handler adds to. */
export interface PlanState {
  /** The scene as the plan leaves it so far: later clauses refer to what earlier ones added. */
  world: PlannerWorld;
  calls: PlannedToolCall[];
  /** Text for the reply that is not a call (help, a description of the scene). */
  notes: string[];
  /** The message's quoted strings; a clause holds ⟦n⟧ in their place. */
  quotes: string[];
  /** Artifact ids of the project's images (uploads, renders), oldest first: what "this image" means. */
  images: readonly string[];
}

/**
 * Reads one kind of instruction. Returns true when it read the clause (and added to the plan), false
 * to let the next handler in planner.ts try; throws PlanRefusal when the clause is its kind but cannot
 * apply, and SceneNeeded when only the scene can tell.
 */
export type Handler = (clause: Clause, state: PlanState) => boolean;

/** Adds a call to the plan, with the sentence the reply shows for it. */
export function push(state: PlanState, name: ToolName, args: Record<string, unknown>, summary: string): void {
  state.calls.push({ name, arguments: args, summary });
}

/**
 * Whether the tool contracts include `name`. Tool families arrive one by one (modifiers, hierarchy,
 * animation, textures); the planner plans with a family only once its contracts are there.
 */
export function hasTool(name: string): boolean {
  return findToolContract(name) !== undefined;
}

/** Adds a call to a tool named at run time (one that `hasTool` confirmed), with its summary. */
export function pushTool(state: PlanState, name: string, args: Record<string, unknown>, summary: string): void {
  if (!hasTool(name)) throw new Error(`The planner planned ${name}, which has no contract.`);
  state.calls.push({ name: name as ToolName, arguments: args, summary });
}

/** Whether the input schema of tool `name` has the top-level field `field` (a field added to an existing tool). */
export function toolHasField(name: string, field: string): boolean {
  const shape = findToolContract(name)?.inputSchema.shape as Record<string, unknown> | undefined;
  return shape !== undefined && field in shape;
}
