// What a turn leaves behind: the tool calls it made (with their results or errors) and the
// artifacts those produced. Shared by the agent loop, the reasoners and the conversation store.

/** A file a tool produced (a render, an export), as the gateway lists it. */
export interface TurnArtifact {
  kind: string;
  mimeType: string;
  url: string;
  /** The artifact store's id, when the tool gave one. */
  id?: string;
  bytes?: number;
  /** The tool call that produced it. */
  toolCallId?: string;
}

/** Why a tool call has no result. `code` is a ToolErrorCode from the worker, or one of the agent's own. */
export interface ToolCallFailure {
  /**
   * invalid_arguments (rejected before calling), unknown_tool, skipped (an earlier call failed),
   * unreachable / timeout / cancelled / protocol (the call could not complete), or the worker's code.
   */
  code: string;
  message: string;
}

export interface ToolCallRecord {
  id: string;
  name: string;
  arguments: unknown;
  /** The structured result (or text) when the call succeeded. */
  result?: unknown;
  error?: ToolCallFailure;
  /** Milliseconds from start to end; 0 when it never ran. */
  durationMs: number;
}
