// The runtime is shutting down and admits no new requests.
import { RuntimeError } from "./runtime-error.ts";

export class RuntimeClosedError extends RuntimeError {
  constructor() {
    super("runtime_closed", "The runtime is shutting down; retry against the next one.");
    this.name = "RuntimeClosedError";
  }
}
