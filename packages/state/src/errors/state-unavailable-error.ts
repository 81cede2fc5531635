// The state's database did not answer within its deadline, or refused the connection. The
// message is written for the person waiting (nothing about hosts or passwords); `cause` keeps the
// driver's error for the log. Whatever the call was writing was rolled back, unless the database
// had already committed it when the answer was lost (a reply that never arrives looks the same).
import { BodError } from "@bod/contracts";

export class StateUnavailableError extends BodError<"state_unavailable", { retryAfterSeconds: number }> {
  /** When to try again, in whole seconds. */
  readonly retryAfterSeconds: number;

  constructor(message: string, options: { retryAfterSeconds?: number; cause?: unknown } = {}) {
    const retryAfterSeconds = options.retryAfterSeconds ?? 5;
    super("state_unavailable", message, { retryAfterSeconds }, options);
    this.name = "StateUnavailableError";
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
