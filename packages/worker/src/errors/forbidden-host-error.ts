// DNS-rebinding protection refused a request: its Host (or its Origin, when sent) names a host the
// worker does not answer for, as a page on another site would when it points a name at 127.0.0.1.
import { WorkerHttpError } from "./worker-http-error.ts";

export class ForbiddenHostError extends WorkerHttpError {
  constructor(header: "host" | "origin", reason: string, allowedHostnames: readonly string[]) {
    super(
      "forbidden_host",
      `${reason}. This worker answers only requests addressed to ${allowedHostnames.join(", ")} (DNS-rebinding protection); send the request to one of those.`,
      { header, allowedHostnames: [...allowedHostnames] },
    );
    this.name = "ForbiddenHostError";
  }
}
