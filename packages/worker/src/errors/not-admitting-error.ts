// The worker takes no new MCP work: it is draining (the runtime routes the request again, to the
// next worker, when it sees 503 with Retry-After), or it is a pooled worker not bound to a project yet.
import { WorkerHttpError } from "./worker-http-error.ts";

export class NotAdmittingError extends WorkerHttpError {
  /** Seconds after which the request may be sent again. */
  readonly retryAfterSeconds = 1;

  constructor(reason: "draining" | "not_bound") {
    super(
      reason,
      reason === "draining"
        ? "This worker is draining and takes no new requests; send the request again (through the runtime it reaches the next worker)."
        : "This worker is not bound to a project yet; send the request again in a moment.",
    );
    this.name = "NotAdmittingError";
  }
}
