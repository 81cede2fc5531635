// The base of every error the runtime raises on purpose: a BodError whose code the HTTP layer maps
// to a status in one place (http/problem.ts), with structured data for logs and problem bodies.
import { BodError } from "@bod/contracts";

export type RuntimeErrorCode =
  | "unauthorized"
  | "invalid_project_id"
  | "not_found"
  | "artifact_not_found"
  | "payload_too_large"
  | "capacity_exhausted"
  | "worker_unreachable"
  | "worker_start_timeout"
  | "worker_start_failed"
  | "runtime_closed";

export class RuntimeError extends BodError<RuntimeErrorCode, Record<string, unknown>> {
  constructor(code: RuntimeErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
    this.name = "RuntimeError";
  }
}
