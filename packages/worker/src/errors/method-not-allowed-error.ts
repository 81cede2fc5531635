// A method the route does not take; `allowed` goes out as the Allow header.
import { WorkerHttpError } from "./worker-http-error.ts";

export class MethodNotAllowedError extends WorkerHttpError {
  readonly allowed: readonly string[];

  constructor(allowed: readonly string[], message: string) {
    super("method_not_allowed", message, { allowed: [...allowed] });
    this.name = "MethodNotAllowedError";
    this.allowed = allowed;
  }
}
