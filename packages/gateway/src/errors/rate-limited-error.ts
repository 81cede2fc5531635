// A user over their request budget; Retry-After says when the next request is let through.
import { GatewayError } from "./gateway-error.ts";

export class RateLimitedError extends GatewayError {
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number, limit: string) {
    super("rate_limited", `Too many requests (${limit}). Try again in ${retryAfterSeconds} s.`, { retryAfterSeconds });
    this.name = "RateLimitedError";
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
