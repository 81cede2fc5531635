// The store's backend (S3, a disk) could not do the operation now: down, slow past the deadline,
// refusing the credentials, or missing its bucket. The operation had no effect that anyone can
// see; the message says what to do, and `retryAfterSeconds` when trying again may help.
import { ArtifactStoreError } from "./artifact-store-error.ts";

/** Why the store could not answer. */
export type ArtifactStoreUnavailableReason = "timeout" | "unreachable" | "denied" | "missing_bucket" | "server_error";

export interface ArtifactStoreUnavailableDetails {
  /** Which operation failed: put, head, get, list, deleteProject or downloadUrl. */
  operation: string;
  reason: ArtifactStoreUnavailableReason;
  /** The store, as it may be shown (an s3:// URL without credentials). */
  store: string;
  /** Seconds after which trying again may work; absent when it will not without a change (credentials, bucket). */
  retryAfterSeconds?: number;
}

export class ArtifactStoreUnavailableError extends ArtifactStoreError {
  readonly operation: string;
  readonly reason: ArtifactStoreUnavailableReason;
  readonly store: string;
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, details: ArtifactStoreUnavailableDetails, options?: { cause?: unknown }) {
    super("unavailable", message, { ...details }, options);
    this.name = "ArtifactStoreUnavailableError";
    this.operation = details.operation;
    this.reason = details.reason;
    this.store = details.store;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}
