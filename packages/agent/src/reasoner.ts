// The reasoning port: given the message, the conversation and what this turn has done so far,
// decide the next tool calls or the final reply. Implemented by the offline planner and by LLMs.
import type { ConversationMessage, ProjectContext } from "./store/conversation-store.ts";
import type { ToolCallRecord } from "./turn-records.ts";

/** A tool call a reasoner wants made. */
export interface ProposedToolCall {
  id: string;
  name: string;
  arguments: unknown;
  /** Set when the call is unusable as given (malformed JSON, unknown tool): it is reported back, not made. */
  invalid?: string;
}

/** One step of a turn: the calls the reasoner asked for, with their outcomes. */
export interface TurnStep {
  text?: string;
  toolCalls: ToolCallRecord[];
}

export interface ReasonerInput {
  projectId: string;
  /** The user's message for this turn. */
  text: string;
  /** Earlier messages of the conversation, oldest first. */
  history: readonly ConversationMessage[];
  /** The project context as stored before this turn (last seen scene, focus, artifacts). */
  context: ProjectContext;
  /** Steps already taken in this turn, oldest first. */
  steps: readonly TurnStep[];
}

/** Tool calls to make now, or (with none) the final reply in `text`. */
export interface ReasonerDecision {
  text?: string;
  toolCalls: ProposedToolCall[];
}

export interface Reasoner {
  /** For logs and events: "planner", "openai-compatible:llama3.1", ... */
  readonly name: string;
  /** Throws ReasonerError when no decision can be had (timeouts, provider down, malformed output). */
  decide(input: ReasonerInput, options: { signal: AbortSignal }): Promise<ReasonerDecision>;
}
