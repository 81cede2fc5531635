// What a plan is made of while it is being made: the calls so far, the notes for the reply, the
// planner's world, and the shape every handler has.
import type { ToolName } from "@bod/contracts";
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
