// A worker that could not be started for a project: it exited, refused to bind, or did not become
// ready before the start deadline (`code` tells which). Every request held for it gets this error.
import { RuntimeError } from "./runtime-error.ts";

export class WorkerStartError extends RuntimeError {
  constructor(
    code: "worker_start_timeout" | "worker_start_failed",
    message: string,
    data: { projectId: string; elapsedMs: number; [key: string]: unknown },
  ) {
    super(code, message, data);
    this.name = "WorkerStartError";
  }
}
