// Something the worker does not have: a route, an artifact of its project (`artifact_not_found`,
// the tools' own code), or a legacy SSE session that ended (`session_not_found`).
import { WorkerHttpError } from "./worker-http-error.ts";

export class NotFoundError extends WorkerHttpError {
  constructor(code: "not_found" | "artifact_not_found" | "session_not_found", message: string) {
    super(code, message);
    this.name = "NotFoundError";
  }
}
