// The base of every error the gateway raises on purpose: a BodError whose code http/problem.ts maps
// to an HTTP status (the one place that does), with a message written for the caller, and data.
import { BodError } from "@bod/contracts";

export const GATEWAY_ERROR_CODES = [
  "unauthorized",
  "not_found",
  "invalid_request",
  "payload_too_large",
  "rate_limited",
  "turn_in_progress",
  "not_acceptable",
  "unavailable",
] as const;

export type GatewayErrorCode = (typeof GATEWAY_ERROR_CODES)[number];

export class GatewayError extends BodError<GatewayErrorCode, Record<string, unknown>> {
  constructor(code: GatewayErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
    this.name = "GatewayError";
  }
}
