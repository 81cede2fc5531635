// Expiring links to artifacts: an HMAC-SHA256 over the path and the expiry time, so a browser can
// load `<img src>` without an Authorization header and a copied link stops working after a while.
import { createHmac, timingSafeEqual } from "node:crypto";

export interface LinkSigner {
  /** Query string (`exp=…&sig=…`) that lets `path` be fetched until `ttlSeconds` from now. */
  sign(path: string, ttlSeconds?: number): { query: string; expiresAt: Date };
  /** Whether the link's signature is right and it has not expired. */
  verify(path: string, exp: string | undefined, sig: string | undefined): boolean;
}

export interface LinkSignerOptions {
  /** At least 32 bytes of secret. */
  key: Uint8Array;
  /** Default lifetime of a link, seconds. Default 86 400 (a day). */
  ttlSeconds?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

export function createLinkSigner(options: LinkSignerOptions): LinkSigner {
  if (options.key.length < 32) throw new Error("The link signing key must be at least 32 bytes.");
  const now = options.now ?? Date.now;
  const defaultTtl = options.ttlSeconds ?? 86_400;
  const mac = (path: string, exp: number) => createHmac("sha256", options.key).update(`${path}\n${exp}`).digest();
  return {
    sign(path, ttlSeconds = defaultTtl) {
      const exp = Math.floor(now() / 1000) + ttlSeconds;
      return { query: `exp=${exp}&sig=${mac(path, exp).toString("base64url")}`, expiresAt: new Date(exp * 1000) };
    },
    verify(path, exp, sig) {
      // Only the exact strings sign() writes pass: a decimal expiry without leading zeros, and the
      // unpadded base64url of the MAC. Decoding first would let other spellings of the same bytes
      // through ('=' padding, trailing characters the decoder drops, other unused low bits).
      if (!exp || !sig || !/^[1-9]\d{0,11}$/.test(exp)) return false;
      const expSeconds = Number(exp);
      if (expSeconds * 1000 <= now()) return false;
      const given = Buffer.from(sig, "utf8");
      const expected = Buffer.from(mac(path, expSeconds).toString("base64url"), "utf8");
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
