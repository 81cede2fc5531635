// A request whose body, query or parameters do not have the allowed shape; the message says what is allowed.
import { GatewayError } from "./gateway-error.ts";

export interface InvalidField {
  /** Dotted path of the field, "" for the whole body. */
  path: string;
  message: string;
}

export class InvalidRequestError extends GatewayError {
  readonly fields: InvalidField[];

  constructor(message: string, fields: InvalidField[] = []) {
    super("invalid_request", message, fields.length > 0 ? { fields } : {});
    this.name = "InvalidRequestError";
    this.fields = fields;
  }
}
