// Project ids: readable in URLs and logs, and valid runtime project ids (a DNS label, so a
// Knative Service can be named after one).
import { randomBytes } from "node:crypto";

/** A project id from its name: the name's slug (at most 40 characters) and 8 random hex digits. */
export function projectIdFor(name: string): string {
  const slug = name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  return `${slug || "project"}-${randomBytes(4).toString("hex")}`;
}

/** A user id: `u_` and 16 random hex digits. */
export function userIdFor(): string {
  return `u_${randomBytes(8).toString("hex")}`;
}
