// Project ids as they appear in URLs and folder names: the contracts' lowercase slug
// (PROJECT_ID_PATTERN), so an id can never climb out of the data dir or smuggle a path segment
// into the worker's URL. The runtime refuses any other with its own error.
import { isProjectId } from "@bod/contracts";
import { InvalidProjectIdError } from "./errors/invalid-project-id-error.ts";

export { isProjectId, PROJECT_ID_PATTERN } from "@bod/contracts";

/** Returns `value` if it is a project id; throws InvalidProjectIdError otherwise. */
export function assertProjectId(value: string): string {
  if (!isProjectId(value)) throw new InvalidProjectIdError(value);
  return value;
}
