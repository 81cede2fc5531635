// DNS-rebinding protection: a browser page on another site must not reach a worker that
// listens on localhost. Requests whose Host (or Origin, when sent) names a host outside the
// allowed list are refused before any MCP handling.

export const LOOPBACK_HOSTNAMES = ["127.0.0.1", "localhost", "[::1]", "::1"] as const;

function hostnameOf(hostHeader: string): string {
  try {
    return new URL(`http://${hostHeader}`).hostname;
  } catch {
    return "";
  }
}

/** Returns why the request is refused, or undefined when it may pass. */
export function checkHostAndOrigin(
  allowedHostnames: readonly string[],
  headers: { host?: string | undefined; origin?: string | undefined },
): string | undefined {
  if (!headers.host) return "Missing Host header.";
  const host = hostnameOf(headers.host);
  if (!allowedHostnames.includes(host))
    return `Host "${headers.host}" is not allowed; this server answers to ${allowedHostnames.join(", ")}.`;
  if (headers.origin && headers.origin !== "null") {
    let originHost = "";
    try {
      originHost = new URL(headers.origin).hostname;
    } catch {}
    if (!allowedHostnames.includes(originHost)) return `Origin "${headers.origin}" is not allowed.`;
  }
  return undefined;
}
