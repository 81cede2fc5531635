// A dependency (the runtime, the agent) that cannot serve the request right now.
import { GatewayError } from "./gateway-error.ts";

export class UnavailableError extends GatewayError {
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, retryAfterSeconds?: number) {
    super("unavailable", message, retryAfterSeconds === undefined ? {} : { retryAfterSeconds });
    this.name = "UnavailableError";
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
