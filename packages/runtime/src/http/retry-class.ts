// Which requests the proxy may send again to the project's next worker when the worker it sent one
// to died with the request in hand (it may have run it, all or part). Reads may always run again.
// A tools/call of a tool that changes the scene may only when it carries an idempotency key: the
// worker applies a key once, so a change that was applied answers with its first result instead of
// being applied twice. Without a key the outcome stays unknown, and the client is told so.
import { findToolContract, isIdempotencyKey, REQUEST_META_KEYS } from "@bod/contracts";

/** `read`: safe to run again; `keyed-change`: a change the worker applies once; `change`: not safe to send again. */
export type RetryClass = "read" | "keyed-change" | "change";

const ORDER: readonly RetryClass[] = ["read", "keyed-change", "change"];

/**
 * How a request (method and the body the proxy read) may be retried once it may have reached a
 * worker. GET (an event stream), HEAD and DELETE (ending a session) are reads; a POST is what its
 * JSON-RPC message says, the least safe of a batch's; a body that is not JSON-RPC counts as a change.
 */
export function retryClassOf(method: string, body: Buffer): RetryClass {
  if (method !== "POST") return method === "PUT" || method === "PATCH" ? "change" : "read";
  let message: unknown;
  try {
    message = JSON.parse(body.toString("utf8"));
  } catch {
    return "change";
  }
  const messages = Array.isArray(message) ? message : [message];
  let worst: RetryClass = "read";
  for (const one of messages) {
    const found = classOfMessage(one);
    if (ORDER.indexOf(found) > ORDER.indexOf(worst)) worst = found;
  }
  return worst;
}

function classOfMessage(message: unknown): RetryClass {
  if (typeof message !== "object" || message === null) return "change";
  const { method, params } = message as { method?: unknown; params?: unknown };
  // Notifications, answers to the server, and every method but tools/call read or are harmless twice.
  if (method !== "tools/call") return "read";
  const { name, _meta } = (params ?? {}) as { name?: unknown; _meta?: Record<string, unknown> };
  const contract = typeof name === "string" ? findToolContract(name) : undefined;
  if (contract?.annotations.readOnlyHint) return "read";
  return isIdempotencyKey(_meta?.[REQUEST_META_KEYS.idempotencyKey]) ? "keyed-change" : "change";
}
