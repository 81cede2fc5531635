// The base of every error the runtime raises on purpose: a string code the HTTP layer maps to a
// status in one place (http/problem.ts), and structured data for logs and problem bodies.

export type RuntimeErrorCode =
  | "invalid_project_id"
  | "capacity_exhausted"
  | "worker_start_timeout"
  | "worker_start_failed"
  | "runtime_closed";

export class RuntimeError extends Error {
  readonly code: RuntimeErrorCode;
  readonly data: Record<string, unknown>;

  constructor(code: RuntimeErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(message);
    this.name = "RuntimeError";
    this.code = code;
    this.data = data;
  }
}
