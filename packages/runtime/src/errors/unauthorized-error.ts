// A request without the runtime's bearer token, or with another: refused before anything else runs.
import { RuntimeError } from "./runtime-error.ts";

export class UnauthorizedError extends RuntimeError {
  constructor() {
    super("unauthorized", "Send Authorization: Bearer <token>; `bod serve` prints the token when it starts.");
    this.name = "UnauthorizedError";
  }
}
