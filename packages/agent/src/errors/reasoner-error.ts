// The error a reasoner raises when it cannot decide a step: the model is slow, down, or answers
// with something that cannot be used. The message is written for the person in the chat.
import { BodError } from "@bod/contracts";

export const REASONER_ERROR_CODES = ["provider_timeout", "provider_unavailable", "provider_error", "malformed_response"] as const;
export type ReasonerErrorCode = (typeof REASONER_ERROR_CODES)[number];

export class ReasonerError extends BodError<ReasonerErrorCode> {
  constructor(code: ReasonerErrorCode, message: string, options?: { cause?: unknown; data?: Record<string, unknown> }) {
    super(code, message, options?.data, options);
    this.name = "ReasonerError";
  }

  static is(value: unknown): value is ReasonerError {
    return value instanceof ReasonerError;
  }
}
