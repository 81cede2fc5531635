// The error a tool client raises when a call could not be made or answered at all (as opposed
// to a tool that ran and reported a problem, which is an isError result).
import { BodError } from "@bod/contracts";

export const TOOL_CLIENT_ERROR_CODES = ["unreachable", "timeout", "cancelled", "protocol"] as const;
export type ToolClientErrorCode = (typeof TOOL_CLIENT_ERROR_CODES)[number];

export class ToolClientError extends BodError<ToolClientErrorCode, { maybeApplied: boolean }> {
  /** Whether the request may have reached the server (so a mutation may have happened). */
  readonly maybeApplied: boolean;

  constructor(code: ToolClientErrorCode, message: string, options: { maybeApplied: boolean; cause?: unknown }) {
    super(code, message, { maybeApplied: options.maybeApplied }, options);
    this.name = "ToolClientError";
    this.maybeApplied = options.maybeApplied;
  }

  static is(value: unknown): value is ToolClientError {
    return value instanceof ToolClientError;
  }
}
