// DNS-rebinding protection: a browser page on another site must not reach a worker that listens
// on localhost. A request whose Host (or Origin, when sent) names a host outside the allowed list
// is refused with 403 (a ForbiddenHostError, answered by http/problem.ts) before any MCP handling.
// The checks are the MCP SDK's own.
import type { IncomingHttpHeaders } from "node:http";
import { validateHostHeader, validateOriginHeader } from "@modelcontextprotocol/server";
import { ForbiddenHostError } from "../errors/forbidden-host-error.ts";

export const LOOPBACK_HOSTNAMES = ["127.0.0.1", "localhost", "[::1]"] as const;

/** A guard that returns the error to answer a request's headers with, or undefined to let it through. */
export type RequestGuard = (headers: Pick<IncomingHttpHeaders, "host" | "origin">) => ForbiddenHostError | undefined;

export function createRequestGuard(allowedHostnames: readonly string[]): RequestGuard {
  const allowed = [...allowedHostnames];
  return (headers) => {
    const host = validateHostHeader(headers.host, allowed);
    if (!host.ok) return new ForbiddenHostError("host", host.message, allowed);
    const origin = validateOriginHeader(headers.origin, allowed);
    if (!origin.ok) return new ForbiddenHostError("origin", origin.message, allowed);
    return undefined;
  };
}
