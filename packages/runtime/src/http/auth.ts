// Who may use the runtime. One Authenticator checks every request but /healthz, in one place
// (runtime-server.ts); the gateway's users and per-user tokens replace the single bearer token later.
import { timingSafeEqual } from "node:crypto";

export interface Principal {
  /** Stable name of the caller, for logs. */
  subject: string;
}

export interface Authenticator {
  /** The caller behind an Authorization header, or undefined to refuse with 401. */
  authenticate(authorization: string | undefined): Principal | undefined;
}

/** Accepts exactly `Authorization: Bearer <token>`, compared in constant time. */
export function createBearerTokenAuthenticator(token: string): Authenticator {
  if (token.length < 16) throw new Error("The runtime token must be at least 16 characters.");
  const expected = Buffer.from(token);
  return {
    authenticate(authorization) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
      if (!match?.[1]) return undefined;
      const given = Buffer.from(match[1]);
      return given.length === expected.length && timingSafeEqual(given, expected) ? { subject: "token" } : undefined;
    },
  };
}
