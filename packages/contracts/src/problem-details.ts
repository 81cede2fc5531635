// Errors that go over HTTP: the one body shape every server of the system answers an error with,
// RFC 9457 problem details (application/problem+json). Each server maps its own error classes to a
// status in a single function (its http/problem.ts) and builds the answer here.

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** An RFC 9457 problem details body, with the system's stable `code` beside the standard members. */
export interface ProblemDetails {
  /** `about:blank#<code>`: no page to fetch; the fragment names the problem. */
  type: string;
  /** The code in words, e.g. "capacity exhausted". */
  title: string;
  /** The HTTP status, repeated for clients that only keep the body. */
  status: number;
  /** What happened and what to do about it, written for the caller. */
  detail: string;
  /** Stable, snake_case: what clients branch on. */
  code: string;
  /** Seconds after which the same request may succeed; sent as Retry-After too. */
  retryAfter?: number;
  /** Facts about this occurrence (limits, ids). */
  [member: string]: unknown;
}

/** A problem ready to send: status, extra headers (lowercase names) and body. */
export interface Problem {
  status: number;
  headers: Record<string, string>;
  body: ProblemDetails;
}

export interface ProblemOptions {
  /** Members added to the body (the error's data); they never replace the standard ones. */
  data?: Record<string, unknown> | undefined;
  /** Seconds until a retry may succeed: sets `retryAfter` and the Retry-After header. */
  retryAfterSeconds?: number | undefined;
  /** Further headers, e.g. WWW-Authenticate or Allow. */
  headers?: Record<string, string>;
}

/** Builds the problem for `code` answered with `status`. */
export function createProblem(code: string, status: number, detail: string, options: ProblemOptions = {}): Problem {
  const headers: Record<string, string> = { ...options.headers };
  const body: ProblemDetails = {
    ...options.data,
    type: `about:blank#${code}`,
    title: code.replaceAll("_", " "),
    status,
    detail,
    code,
  };
  if (options.retryAfterSeconds !== undefined) {
    const seconds = Math.max(0, Math.ceil(options.retryAfterSeconds));
    headers["retry-after"] = String(seconds);
    body.retryAfter = seconds;
  }
  return { status, headers, body };
}

/** The problem as a fetch Response (hono handlers and fetch-style servers). */
export function problemToResponse(answer: Problem): Response {
  return new Response(JSON.stringify(answer.body), {
    status: answer.status,
    headers: { "content-type": PROBLEM_CONTENT_TYPE, ...answer.headers },
  });
}

/** What writeProblem needs of a node:http ServerResponse (named by shape: this package imports nothing from Node). */
export interface ProblemWritable {
  readonly headersSent: boolean;
  destroy(): void;
  writeHead(status: number, headers: Record<string, string>): unknown;
  end(body: string): unknown;
}

/** Answers a node:http response with the problem; a response already under way is cut off instead. */
export function writeProblem(res: ProblemWritable, answer: Problem): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(answer.status, { "content-type": PROBLEM_CONTENT_TYPE, ...answer.headers });
  res.end(JSON.stringify(answer.body));
}
