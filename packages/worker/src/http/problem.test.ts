// The one place the worker's own HTTP errors become answers: each error class to its status, code
// and headers as problem details, the artifact store's outage as a 503, anything else a 500.
import { ArtifactStoreUnavailableError } from "@bod/storage";
import { describe, expect, it } from "vitest";
import { ForbiddenHostError } from "../errors/forbidden-host-error.ts";
import { MethodNotAllowedError } from "../errors/method-not-allowed-error.ts";
import { NotAdmittingError } from "../errors/not-admitting-error.ts";
import { NotFoundError } from "../errors/not-found-error.ts";
import { problemFor, problemResponse } from "./problem.ts";

describe("problemFor", () => {
  it("maps every worker error class to its status and code, as problem details", () => {
    const cases: Array<[Error, number, string]> = [
      [new ForbiddenHostError("host", "Invalid Host: evil.example", ["127.0.0.1"]), 403, "forbidden_host"],
      [new NotFoundError("not_found", "No route."), 404, "not_found"],
      [new NotFoundError("artifact_not_found", "No such artifact."), 404, "artifact_not_found"],
      [new NotFoundError("session_not_found", "Unknown sessionId."), 404, "session_not_found"],
      [new MethodNotAllowedError(["GET", "POST"], "Use GET or POST."), 405, "method_not_allowed"],
      [new NotAdmittingError("draining"), 503, "draining"],
      [new NotAdmittingError("not_bound"), 503, "not_bound"],
    ];
    for (const [error, status, code] of cases) {
      const problem = problemFor(error);
      expect(problem.status, code).toBe(status);
      expect(problem.body, code).toMatchObject({
        type: `about:blank#${code}`,
        title: code.replaceAll("_", " "),
        status,
        code,
        detail: error.message,
      });
    }
  });

  it("tells the runtime to route again when the worker does not admit (Retry-After), and names the allowed methods", () => {
    for (const reason of ["draining", "not_bound"] as const) {
      const problem = problemFor(new NotAdmittingError(reason));
      expect(problem.headers["retry-after"]).toBe("1");
      expect(problem.body.retryAfter).toBe(1);
    }
    expect(problemFor(new MethodNotAllowedError(["GET", "POST"], "x")).headers.allow).toBe("GET, POST");
  });

  it("answers an artifact store that is down with 503 and Retry-After, without naming the store", () => {
    const down = new ArtifactStoreUnavailableError("The artifact store is down.", {
      operation: "get",
      reason: "timeout",
      store: "s3://internal-bucket",
      retryAfterSeconds: 3,
    });
    const problem = problemFor(down);
    expect(problem).toMatchObject({ status: 503, headers: { "retry-after": "3" }, body: { code: "storage_unavailable", retryAfter: 3 } });
    expect(JSON.stringify(problem.body)).not.toContain("internal-bucket");
  });

  it("hides unexpected errors behind a 500", async () => {
    const response = problemResponse(new Error("secret path /etc/x"));
    expect(response.status).toBe(500);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(await response.text()).not.toContain("secret");
  });
});
