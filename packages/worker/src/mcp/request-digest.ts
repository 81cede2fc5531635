// The digest an idempotency key is kept with: which tool a call ran, with which input. The same key
// sent again with the same request is a retry; with another request it is a mistake the caller is
// told about, so the digest must not depend on the order of the input's keys.
import { createHash } from "node:crypto";

/** A digest (SHA-256, base64url, 43 characters) of a tool's name and its validated input. */
export function requestDigest(tool: string, input: unknown): string {
  return createHash("sha256")
    .update(JSON.stringify([tool, canonical(input)]))
    .digest("base64url");
}

/** `value` with every object's keys in sorted order, so equal inputs give equal JSON text. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== "object" || value === null) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const field = (value as Record<string, unknown>)[key];
    if (field !== undefined) sorted[key] = canonical(field);
  }
  return sorted;
}
