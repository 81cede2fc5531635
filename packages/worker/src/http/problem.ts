// Errors that go over the wire: every error the worker's HTTP front answers maps to a status here
// and nowhere else, as an RFC 9457 problem details body (@bod/contracts problem-details.ts). MCP's
// own JSON-RPC errors on /mcp are the SDK's and keep their shape.
import type { ServerResponse } from "node:http";
import { createProblem, type Problem, problemToResponse, writeProblem } from "@bod/contracts";
import { ArtifactStoreUnavailableError } from "@bod/storage";
import { MethodNotAllowedError } from "../errors/method-not-allowed-error.ts";
import { NotAdmittingError } from "../errors/not-admitting-error.ts";
import { WorkerHttpError, type WorkerHttpErrorCode } from "../errors/worker-http-error.ts";

const STATUS: Record<WorkerHttpErrorCode, number> = {
  forbidden_host: 403,
  not_found: 404,
  artifact_not_found: 404,
  session_not_found: 404,
  method_not_allowed: 405,
  draining: 503,
  not_bound: 503,
};

/** The one mapping from an error to the worker's HTTP answer; anything unexpected is a 500 that leaks nothing. */
export function problemFor(error: unknown): Problem {
  if (error instanceof WorkerHttpError) {
    const headers: Record<string, string> = error instanceof MethodNotAllowedError ? { allow: error.allowed.join(", ") } : {};
    // Retry-After on a 503 is what tells the runtime the worker did not take the request, so it routes again.
    const retryAfterSeconds = error instanceof NotAdmittingError ? error.retryAfterSeconds : undefined;
    return createProblem(error.code, STATUS[error.code], error.message, { data: error.data, retryAfterSeconds, headers });
  }
  // The artifact store behind /artifacts/{id}: its message says what to do; its data names the store, which stays in the log.
  if (error instanceof ArtifactStoreUnavailableError)
    return createProblem("storage_unavailable", 503, error.message, { retryAfterSeconds: error.retryAfterSeconds });
  return createProblem("internal", 500, "The worker failed unexpectedly; see its log.");
}

/** Answers a node:http response with the problem for `error`; a response already under way is cut off instead. */
export function sendProblem(res: ServerResponse, error: unknown): void {
  writeProblem(res, problemFor(error));
}

/** The problem for `error` as a fetch Response (the hono routes). */
export function problemResponse(error: unknown): Response {
  return problemToResponse(problemFor(error));
}
