// The bearer token of a request. Tokens themselves (`bod_<id>_<secret>`, stored hashed, compared
// in constant time) are issued and checked by @bod/state.

/** The token in `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  return match?.[1];
}
