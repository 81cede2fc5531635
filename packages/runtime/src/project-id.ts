// Project ids as they appear in URLs and folder names: a lowercase slug, so an id can never
// climb out of the data dir or smuggle a path segment into the worker's URL.
import { InvalidProjectIdError } from "./errors/invalid-project-id-error.ts";

/** 1 to 63 characters: lowercase letters, digits and single hyphens, starting with a letter or digit. */
export const PROJECT_ID_PATTERN = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,62}$/;

export function isProjectId(value: string): boolean {
  return PROJECT_ID_PATTERN.test(value);
}

export function assertProjectId(value: string): string {
  if (!isProjectId(value)) throw new InvalidProjectIdError(value);
  return value;
}
