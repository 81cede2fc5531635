// A resource that does not exist, or that belongs to someone else: the two look the same from outside.
import { GatewayError } from "./gateway-error.ts";

export class NotFoundError extends GatewayError {
  constructor(what: string, data: Record<string, unknown> = {}) {
    super("not_found", `${what} was not found.`, data);
    this.name = "NotFoundError";
  }
}
