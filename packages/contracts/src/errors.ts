// The tool calls' errors: a BodError whose code is one of TOOL_ERROR_CODES. The MCP server turns
// them into isError tool results, the HTTP servers into problem details.
import { BodError } from "./bod-error.ts";

/** Every code a tool call can fail with, so clients can branch without parsing text. */
export const TOOL_ERROR_CODES = [
  "invalid_arguments",
  "object_not_found",
  "name_taken",
  "artifact_not_found",
  "unsupported_format",
  "payload_too_large",
  "blender_unavailable",
  "blender_crashed",
  "timeout",
  "cancelled",
  // The artifact or scene store (S3, PostgreSQL, a disk) is down or slow; the data says when to retry.
  "storage_unavailable",
  // run_script: the code raised, ran out of memory or left the scene in a state the worker refuses.
  "script_failed",
  "internal",
] as const;

export type ToolErrorCode = (typeof TOOL_ERROR_CODES)[number];

/** A tool call that failed in a way the caller can act on; `message` says how to recover. */
export class ToolError extends BodError<ToolErrorCode> {
  constructor(code: ToolErrorCode, message: string, data?: Record<string, unknown>) {
    super(code, message, data);
    this.name = "ToolError";
  }

  static is(value: unknown): value is ToolError {
    return value instanceof ToolError;
  }
}
