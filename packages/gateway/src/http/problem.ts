// Errors that go over the wire: every gateway error class maps to an HTTP status here and nowhere
// else, as an RFC 9457 problem+json body (@bod/contracts problem-details.ts) that says what happened
// and what to do about it.
import { createProblem, type Problem, problemToResponse } from "@bod/contracts";
import { RuntimeError, problemFor as runtimeProblemFor } from "@bod/runtime";
import { StateUnavailableError, TurnStillRunningError } from "@bod/state";
import { DatabaseUnavailableError } from "../errors/database-unavailable-error.ts";
import { GatewayError, type GatewayErrorCode } from "../errors/gateway-error.ts";
import { RateLimitedError } from "../errors/rate-limited-error.ts";
import { UnauthorizedError } from "../errors/unauthorized-error.ts";
import { UnavailableError } from "../errors/unavailable-error.ts";

const STATUS: Record<GatewayErrorCode, number> = {
  invalid_request: 400,
  unauthorized: 401,
  not_found: 404,
  not_acceptable: 406,
  turn_in_progress: 409,
  payload_too_large: 413,
  rate_limited: 429,
  unavailable: 503,
};

/** The one mapping from an error to its HTTP answer; anything unexpected is a 500 that leaks nothing. */
export function problemFor(error: unknown): Problem {
  if (error instanceof GatewayError) {
    const headers: Record<string, string> = {};
    if (error instanceof UnauthorizedError) headers["www-authenticate"] = 'Bearer realm="bod"';
    const retryAfterSeconds = error instanceof RateLimitedError || error instanceof UnavailableError ? error.retryAfterSeconds : undefined;
    return createProblem(error.code, STATUS[error.code], error.message, { data: error.data, retryAfterSeconds, headers });
  }
  // The State's: its database not answering in time (503), a turn that would not stop (409).
  if (error instanceof StateUnavailableError) return problemFor(new DatabaseUnavailableError(error.retryAfterSeconds));
  if (error instanceof TurnStillRunningError)
    return problemFor(new GatewayError("turn_in_progress", error.message, { projectId: error.projectId }));
  // The runtime's own errors (capacity, a worker that would not start) keep the runtime's mapping.
  if (error instanceof RuntimeError) return runtimeProblemFor(error);
  return createProblem("internal", 500, "The gateway failed unexpectedly; the server log has the details.");
}

/** The problem as a fetch Response. */
export function problemResponse(error: unknown): Response {
  return problemToResponse(problemFor(error));
}
