// A request body over the route's limit.
import { GatewayError } from "./gateway-error.ts";

export class PayloadTooLargeError extends GatewayError {
  constructor(limitBytes: number) {
    super("payload_too_large", `The request body is larger than ${limitBytes} bytes, the most this route accepts.`, { limitBytes });
    this.name = "PayloadTooLargeError";
  }
}
