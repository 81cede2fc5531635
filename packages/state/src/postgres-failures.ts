// How the PostgreSQL state fails: every call settles within its deadline, and a database that is
// down, unreachable, overloaded or too slow becomes one StateUnavailableError the gateway turns
// into a 503. Other errors (a bug, a constraint) pass through unchanged.
import { StateUnavailableError } from "./errors/state-unavailable-error.ts";

/** Node socket errors that mean the server could not be reached or went away. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EPIPE",
  "EAI_AGAIN",
]);

/** node-postgres's own messages for a connection that failed, timed out or dropped. */
const DRIVER_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|not queryable|Client was closed/i;

/**
 * SQLSTATEs that mean "not now" rather than "wrong": connection exceptions (08), statement
 * timeout (57014), shutdown and start-up (57P01-57P03), too many connections and other
 * insufficient resources (53).
 */
function unavailableSqlState(code: string): boolean {
  return code.startsWith("08") || code.startsWith("53") || code === "57014" || code === "57P01" || code === "57P02" || code === "57P03";
}

/** Whether `error` says the database cannot serve right now (as opposed to a bad request or a bug). */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof StateUnavailableError) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && (NETWORK_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && unavailableSqlState(code)))) return true;
  return DRIVER_MESSAGES.test(error.message);
}

/** The message a person waiting on the state reads. */
export function unavailableMessage(deadlineMs: number): string {
  return `The state database did not answer within ${Math.round(deadlineMs / 100) / 10} s (it is down, unreachable or overloaded).`;
}

/** `error` as a StateUnavailableError when it means "not now"; otherwise unchanged. */
export function toStateError(error: unknown, deadlineMs: number): unknown {
  if (error instanceof StateUnavailableError || !isUnavailable(error)) return error;
  return new StateUnavailableError(unavailableMessage(deadlineMs), { cause: error });
}

/**
 * Runs `work`, failing with StateUnavailableError once `ms` milliseconds have passed (after
 * calling `onTimeout`, which drops whatever connection the work was using, so its result can no
 * longer land anywhere). Failures that mean "not now" become StateUnavailableError too.
 */
export async function withDeadline<T>(ms: number, work: () => Promise<T>, onTimeout?: () => void): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const running = work();
  // The work goes on after a timeout until its own connection is dropped; its failure then is not news.
  running.catch(() => {});
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new StateUnavailableError(unavailableMessage(ms)));
    }, ms);
  });
  try {
    return await Promise.race([running, expired]);
  } catch (error) {
    throw toStateError(error, ms);
  } finally {
    clearTimeout(timer);
  }
}
