// No token, or one that matches no user.
import { GatewayError } from "./gateway-error.ts";

export class UnauthorizedError extends GatewayError {
  constructor(message = "Send Authorization: Bearer <token>; `bod user add NAME` prints one, and `bod serve` prints one at start.") {
    super("unauthorized", message);
    this.name = "UnauthorizedError";
  }
}
