// The state's database did not answer within its deadline, or refused the connection. The
// message is written for the person waiting (nothing about hosts or passwords); `cause` keeps the
// driver's error for the log. Whatever the call was writing was rolled back, unless the database
// had already committed it when the answer was lost (a reply that never arrives looks the same).

export class StateUnavailableError extends Error {
  /** When to try again, in whole seconds. */
  readonly retryAfterSeconds: number;

  constructor(message: string, options: { retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "StateUnavailableError";
    this.retryAfterSeconds = options.retryAfterSeconds ?? 5;
  }
}
