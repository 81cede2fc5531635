// Something the runtime does not have: a route, an instance that never ran, or an artifact of the
// project (`artifact_not_found`, the tools' own code for it).
import { RuntimeError } from "./runtime-error.ts";

export class NotFoundError extends RuntimeError {
  constructor(code: "not_found" | "artifact_not_found", message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
    this.name = "NotFoundError";
  }
}
