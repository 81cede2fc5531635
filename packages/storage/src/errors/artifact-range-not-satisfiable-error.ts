// A byte range that starts at or past the artifact's end (HTTP 416, `Content-Range: bytes */size`).
import { ArtifactStoreError } from "./artifact-store-error.ts";

export class ArtifactRangeNotSatisfiableError extends ArtifactStoreError {
  /** The artifact's size, bytes. */
  readonly bytes: number;
  /** The first byte asked for. */
  readonly start: number;

  constructor(bytes: number, start: number) {
    super("range_not_satisfiable", `The range starts at byte ${start} but the artifact has ${bytes} bytes.`, { bytes, start });
    this.name = "ArtifactRangeNotSatisfiableError";
    this.bytes = bytes;
    this.start = start;
  }
}
