// An argument to an ArtifactStore call that is not allowed (a project id, extension, MIME type,
// size limit, range or lifetime); the message says what is allowed. Nothing was stored.
import { ArtifactStoreError } from "./artifact-store-error.ts";

export class InvalidArtifactInputError extends ArtifactStoreError {
  /** The argument that is wrong, e.g. "projectId" or "extension". */
  readonly field: string;

  constructor(field: string, value: unknown, allowed: string) {
    const shown = typeof value === "string" ? `"${value.slice(0, 80)}"` : String(value);
    super("invalid_input", `${field} ${shown} is not allowed: ${allowed}`, { field, allowed });
    this.name = "InvalidArtifactInputError";
    this.field = field;
  }
}
