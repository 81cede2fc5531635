// The one place runtime errors become HTTP answers: every error class to its status, code and
// headers as problem details, the artifact store's outage as a 503, anything else a 500 that leaks nothing.
import { ArtifactStoreUnavailableError } from "@bod/storage";
import { describe, expect, it } from "vitest";
import { CapacityError } from "../errors/capacity-error.ts";
import { InvalidProjectIdError } from "../errors/invalid-project-id-error.ts";
import { NotFoundError } from "../errors/not-found-error.ts";
import { PayloadTooLargeError } from "../errors/payload-too-large-error.ts";
import { RuntimeClosedError } from "../errors/runtime-closed-error.ts";
import { UnauthorizedError } from "../errors/unauthorized-error.ts";
import { WorkerStartError } from "../errors/worker-start-error.ts";
import { WorkerUnreachableError } from "../errors/worker-unreachable-error.ts";
import { problemFor, problemResponse } from "./problem.ts";

describe("problemFor", () => {
  it("maps every runtime error class to its status and code, as problem details", () => {
    const cases: Array<[Error, number, string]> = [
      [new InvalidProjectIdError("Bad_Id"), 400, "invalid_project_id"],
      [new UnauthorizedError(), 401, "unauthorized"],
      [new NotFoundError("not_found", "No route."), 404, "not_found"],
      [new NotFoundError("artifact_not_found", "No such artifact."), 404, "artifact_not_found"],
      [new PayloadTooLargeError(10), 413, "payload_too_large"],
      [new WorkerUnreachableError("p", "ECONNRESET"), 502, "worker_unreachable"],
      [new WorkerStartError("worker_start_failed", "exited", { projectId: "p", elapsedMs: 5 }), 502, "worker_start_failed"],
      [new CapacityError("full", { maxInstances: 1, queued: 64, retryAfterSeconds: 2 }), 503, "capacity_exhausted"],
      [new RuntimeClosedError(), 503, "runtime_closed"],
      [new WorkerStartError("worker_start_timeout", "too slow", { projectId: "p", elapsedMs: 60_000 }), 504, "worker_start_timeout"],
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

  it("says when to retry where it helps, in the body and in Retry-After, and asks for a token on 401", () => {
    const capacity = problemFor(new CapacityError("full", { maxInstances: 1, queued: 64, retryAfterSeconds: 2 }));
    expect(capacity.headers["retry-after"]).toBe("2");
    expect(capacity.body).toMatchObject({ retryAfter: 2, maxInstances: 1, queued: 64 });
    expect(problemFor(new RuntimeClosedError()).headers["retry-after"]).toBe("1");
    expect(problemFor(new UnauthorizedError()).headers["www-authenticate"]).toBe('Bearer realm="bod"');
    expect(problemFor(new WorkerUnreachableError("p", "ECONNREFUSED")).body).toMatchObject({ projectId: "p", reason: "ECONNREFUSED" });
    expect(problemFor(new PayloadTooLargeError(10)).headers["retry-after"]).toBeUndefined();
  });

  it("answers an artifact store that is down with 503 and its Retry-After, without naming the store", () => {
    const down = new ArtifactStoreUnavailableError("The artifact store is down; try again in 5 s.", {
      operation: "get",
      reason: "unreachable",
      store: "s3://internal-bucket",
      retryAfterSeconds: 5,
    });
    const problem = problemFor(down);
    expect(problem).toMatchObject({ status: 503, headers: { "retry-after": "5" }, body: { code: "storage_unavailable", retryAfter: 5 } });
    expect(JSON.stringify(problem.body)).not.toContain("internal-bucket");
  });

  it("hides unexpected errors behind a 500", async () => {
    const response = problemResponse(new Error("secret path /etc/x"));
    expect(response.status).toBe(500);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const text = await response.text();
    expect(text).not.toContain("secret");
    expect(JSON.parse(text)).toMatchObject({ code: "internal", status: 500 });
  });
});
