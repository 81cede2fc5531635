// Every worker slot is busy and the wait queue is full (or the wait ran out): the caller should
// come back after `retryAfterSeconds`.
import { RuntimeError } from "./runtime-error.ts";

export class CapacityError extends RuntimeError {
  readonly retryAfterSeconds: number;

  constructor(message: string, data: { maxInstances: number; queued: number; retryAfterSeconds: number }) {
    super("capacity_exhausted", message, data);
    this.name = "CapacityError";
    this.retryAfterSeconds = data.retryAfterSeconds;
  }
}
