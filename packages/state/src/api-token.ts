// API tokens: `bod_<id>_<secret>`, 256 random bits of secret. Only the secret's SHA-256 is stored;
// the id finds the row and the hashes are compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

const TOKEN_PATTERN = /^bod_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface IssuedToken {
  /** Public part, stored in the clear; names the token in lists and logs. */
  id: string;
  /** The whole token, shown once to its owner. */
  token: string;
  /** SHA-256 of the secret, hex: what the state keeps. */
  hash: string;
}

export function issueToken(): IssuedToken {
  const id = randomBytes(8).toString("hex");
  const secret = randomBytes(32).toString("base64url");
  return { id, token: `bod_${id}_${secret}`, hash: hashSecret(secret) };
}

export function parseToken(token: string): { id: string; secret: string } | undefined {
  const match = TOKEN_PATTERN.exec(token);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** Whether `secret` hashes to `expectedHash`, in time that does not depend on where they differ. */
export function secretMatches(secret: string, expectedHash: string): boolean {
  const given = Buffer.from(hashSecret(secret), "hex");
  const expected = Buffer.from(expectedHash, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A constant hash to compare against when the token id is unknown, so both paths cost the same. */
export const DECOY_HASH = hashSecret("decoy");
