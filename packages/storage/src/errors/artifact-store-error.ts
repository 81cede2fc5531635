// The base of every error an ArtifactStore raises on purpose: a string code callers branch on
// (the worker turns it into a tool error code, the HTTP fronts into a status) and structured data.
import { BodError } from "@bod/contracts";

export const ARTIFACT_STORE_ERROR_CODES = ["invalid_input", "too_large", "range_not_satisfiable", "unavailable"] as const;

export type ArtifactStoreErrorCode = (typeof ARTIFACT_STORE_ERROR_CODES)[number];

export class ArtifactStoreError extends BodError<ArtifactStoreErrorCode, Record<string, unknown>> {
  constructor(code: ArtifactStoreErrorCode, message: string, data: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, message, data, options);
    this.name = "ArtifactStoreError";
  }
}
