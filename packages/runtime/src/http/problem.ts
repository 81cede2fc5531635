// Errors that go over the wire: every runtime error class maps to an HTTP status here and nowhere
// else, as an RFC 9457 problem details body (@bod/contracts problem-details.ts) that says what
// happened and what to do. The raw node:http paths (authentication, the MCP proxy) and the hono API
// both answer through problemFor.
import type { ServerResponse } from "node:http";
import { createProblem, type Problem, problemToResponse, writeProblem } from "@bod/contracts";
import { ArtifactStoreUnavailableError } from "@bod/storage";
import { CapacityError } from "../errors/capacity-error.ts";
import { RuntimeClosedError } from "../errors/runtime-closed-error.ts";
import { RuntimeError, type RuntimeErrorCode } from "../errors/runtime-error.ts";
import { UnauthorizedError } from "../errors/unauthorized-error.ts";

const STATUS: Record<RuntimeErrorCode, number> = {
  invalid_project_id: 400,
  unauthorized: 401,
  not_found: 404,
  artifact_not_found: 404,
  payload_too_large: 413,
  worker_unreachable: 502,
  worker_start_failed: 502,
  capacity_exhausted: 503,
  runtime_closed: 503,
  worker_start_timeout: 504,
};

export type { Problem } from "@bod/contracts";

/** The one mapping from an error to the runtime's HTTP answer; anything unexpected is a 500 that leaks nothing. */
export function problemFor(error: unknown): Problem {
  if (error instanceof RuntimeError) {
    const headers: Record<string, string> = error instanceof UnauthorizedError ? { "www-authenticate": 'Bearer realm="bod"' } : {};
    // A full runtime says when a slot may free up; one shutting down, to retry against the next one now.
    const retryAfterSeconds =
      error instanceof CapacityError ? error.retryAfterSeconds : error instanceof RuntimeClosedError ? 1 : undefined;
    return createProblem(error.code, STATUS[error.code], error.message, { data: error.data, retryAfterSeconds, headers });
  }
  // The artifact store (S3, a disk) behind /projects/{id}/artifacts: its message says what to do;
  // its data names the store, which stays in the log.
  if (error instanceof ArtifactStoreUnavailableError)
    return createProblem("storage_unavailable", 503, error.message, { retryAfterSeconds: error.retryAfterSeconds });
  return createProblem("internal", 500, "The runtime failed unexpectedly; see its log.");
}

/** Answers a node:http response with the problem for `error`; a response already under way is cut off instead. */
export function sendProblem(res: ServerResponse, error: unknown): void {
  writeProblem(res, problemFor(error));
}

/** The problem for `error` as a fetch Response (the hono API). */
export function problemResponse(error: unknown): Response {
  return problemToResponse(problemFor(error));
}
