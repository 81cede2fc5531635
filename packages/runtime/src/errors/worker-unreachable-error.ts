// A project's worker that could not be reached, or cut its answer off before any of it was sent on,
// after the proxy had routed to it (and routed again where that was safe). `reason` is Node's error
// code (ECONNREFUSED, ECONNRESET, ...).
import { RuntimeError } from "./runtime-error.ts";

export class WorkerUnreachableError extends RuntimeError {
  constructor(projectId: string, reason: string) {
    super("worker_unreachable", `The worker for project "${projectId}" could not be reached (${reason || "error"}); retry the request.`, {
      projectId,
      ...(reason ? { reason } : {}),
    });
    this.name = "WorkerUnreachableError";
  }
}
