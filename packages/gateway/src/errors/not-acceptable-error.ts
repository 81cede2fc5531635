// An Accept header the route cannot answer.
import { GatewayError } from "./gateway-error.ts";

export class NotAcceptableError extends GatewayError {
  constructor(offered: readonly string[]) {
    super("not_acceptable", `This route answers ${offered.join(" or ")}; set Accept to one of them.`, { offered });
    this.name = "NotAcceptableError";
  }
}
