// A request body over what the runtime passes to a worker; refused before any worker is involved.
import { RuntimeError } from "./runtime-error.ts";

export class PayloadTooLargeError extends RuntimeError {
  constructor(limitBytes: number) {
    super("payload_too_large", `Request bodies are limited to ${limitBytes} bytes.`, { limitBytes });
    this.name = "PayloadTooLargeError";
  }
}
