// DNS-rebinding protection: a browser page on another site must not reach a worker that
// listens on localhost. Requests whose Host (or Origin, when sent) names a host outside the
// allowed list are answered 403 before any MCP handling. The checks are the MCP SDK's own.
import type { IncomingMessage, ServerResponse } from "node:http";
import { hostHeaderValidation, originValidation } from "@modelcontextprotocol/node";

export const LOOPBACK_HOSTNAMES = ["127.0.0.1", "localhost", "[::1]"] as const;

/** Returns a guard that answers refused requests itself (403) and tells whether to go on. */
export function createRequestGuard(allowedHostnames: readonly string[]): (req: IncomingMessage, res: ServerResponse) => boolean {
  const validateHost = hostHeaderValidation([...allowedHostnames]);
  const validateOrigin = originValidation([...allowedHostnames]);
  return (req, res) => validateHost(req, res) && validateOrigin(req, res);
}
