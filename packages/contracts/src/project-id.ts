// Project ids as they appear in URLs, folder names and storage keys: a lowercase slug, so an id
// can never climb out of a folder or a key prefix, nor smuggle a path segment into a URL.

/** 1 to 63 characters: lowercase letters, digits and single hyphens, starting and ending with a letter or digit. */
export const PROJECT_ID_PATTERN = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,62}$/;

/** Whether `value` is a project id (PROJECT_ID_PATTERN). */
export function isProjectId(value: unknown): value is string {
  return typeof value === "string" && PROJECT_ID_PATTERN.test(value);
}
