// The one place errors become HTTP statuses: each gateway error class, the runtime's errors, and
// anything else (500 without leaking its message).
import { CapacityError } from "@bod/runtime";
import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../errors/invalid-request-error.ts";
import { NotAcceptableError } from "../errors/not-acceptable-error.ts";
import { NotFoundError } from "../errors/not-found-error.ts";
import { PayloadTooLargeError } from "../errors/payload-too-large-error.ts";
import { RateLimitedError } from "../errors/rate-limited-error.ts";
import { TurnInProgressError } from "../errors/turn-in-progress-error.ts";
import { UnauthorizedError } from "../errors/unauthorized-error.ts";
import { UnavailableError } from "../errors/unavailable-error.ts";
import { problemFor, problemResponse } from "./problem.ts";

describe("problemFor", () => {
  it("maps every gateway error class to its status and code", () => {
    const cases: Array<[Error, number, string]> = [
      [new InvalidRequestError("bad", [{ path: "text", message: "too short" }]), 400, "invalid_request"],
      [new UnauthorizedError(), 401, "unauthorized"],
      [new NotFoundError("Project"), 404, "not_found"],
      [new NotAcceptableError(["application/json"]), 406, "not_acceptable"],
      [new TurnInProgressError("p"), 409, "turn_in_progress"],
      [new PayloadTooLargeError(10), 413, "payload_too_large"],
      [new RateLimitedError(3, "x"), 429, "rate_limited"],
      [new UnavailableError("down", 2), 503, "unavailable"],
    ];
    for (const [error, status, code] of cases) {
      const problem = problemFor(error);
      expect(problem.status, code).toBe(status);
      expect(problem.body).toMatchObject({ status, code, type: `about:blank#${code}`, detail: error.message });
    }
    expect(problemFor(new RateLimitedError(3, "x")).headers["retry-after"]).toBe("3");
    expect(problemFor(new UnauthorizedError()).headers["www-authenticate"]).toContain("Bearer");
    expect(problemFor(new InvalidRequestError("bad", [{ path: "text", message: "m" }])).body.fields).toEqual([
      { path: "text", message: "m" },
    ]);
  });

  it("keeps the runtime's mapping for its errors and hides unexpected ones", async () => {
    const capacity = problemFor(new CapacityError("full", { maxInstances: 1, queued: 64, retryAfterSeconds: 2 }));
    expect(capacity.status).toBe(503);
    expect(capacity.headers["retry-after"]).toBe("2");
    const unexpected = problemResponse(new Error("secret path /etc/x"));
    expect(unexpected.status).toBe(500);
    expect(unexpected.headers.get("content-type")).toBe("application/problem+json");
    expect(await unexpected.text()).not.toContain("secret");
  });
});
