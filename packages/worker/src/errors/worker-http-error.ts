// The base of every error the worker's HTTP front raises on purpose: a BodError whose code
// http/problem.ts maps to a status (the one place that does). MCP's own errors on /mcp stay
// JSON-RPC, answered by the SDK; these are the answers the worker gives before or beside it.
import { BodError } from "@bod/contracts";

export type WorkerHttpErrorCode =
  | "forbidden_host"
  | "not_found"
  | "artifact_not_found"
  | "session_not_found"
  | "method_not_allowed"
  | "draining"
  | "not_bound";

export class WorkerHttpError extends BodError<WorkerHttpErrorCode, Record<string, unknown>> {
  constructor(code: WorkerHttpErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
    this.name = "WorkerHttpError";
  }
}
