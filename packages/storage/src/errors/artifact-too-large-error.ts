// A body that grew past the put's size limit. The store stops reading at the limit and leaves
// nothing behind: no file, no object, no unfinished multipart upload.
import { ArtifactStoreError } from "./artifact-store-error.ts";

export class ArtifactTooLargeError extends ArtifactStoreError {
  /** The limit, bytes. */
  readonly maxBytes: number;
  /** How many bytes had arrived when the store gave up (more than maxBytes; the body may be longer still). */
  readonly receivedBytes: number;

  constructor(maxBytes: number, receivedBytes: number) {
    super(
      "too_large",
      `The artifact is larger than the limit of ${maxBytes} bytes (at least ${receivedBytes} bytes); nothing was stored.`,
      {
        maxBytes,
        receivedBytes,
      },
    );
    this.name = "ArtifactTooLargeError";
    this.maxBytes = maxBytes;
    this.receivedBytes = receivedBytes;
  }
}
