// The state's database (users, projects, conversations, turn leases, rate limits) did not answer
// within its deadline: 503 with Retry-After and a message the user can act on. http/problem.ts
// builds it from @bod/state's StateUnavailableError, whose details go to the log only.
import { UnavailableError } from "./unavailable-error.ts";

export class DatabaseUnavailableError extends UnavailableError {
  constructor(retryAfterSeconds: number) {
    super(
      `The server's database is not answering right now. Try again in ${retryAfterSeconds} s; if you were sending a message or making a change, reload first to see whether it went through.`,
      retryAfterSeconds,
    );
    this.name = "DatabaseUnavailableError";
  }
}
