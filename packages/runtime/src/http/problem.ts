// Errors that go over the wire: every runtime error class maps to an HTTP status here and
// nowhere else, with an RFC 9457 problem body that says what happened and what to do.
import type { ServerResponse } from "node:http";
import { CapacityError } from "../errors/capacity-error.ts";
import { RuntimeError, type RuntimeErrorCode } from "../errors/runtime-error.ts";

const STATUS: Record<RuntimeErrorCode, number> = {
  invalid_project_id: 400,
  capacity_exhausted: 503,
  worker_start_timeout: 504,
  worker_start_failed: 502,
  runtime_closed: 503,
};

export interface Problem {
  status: number;
  headers: Record<string, string>;
  body: { type: string; title: string; status: number; detail: string; code: string; [key: string]: unknown };
}

export function problemFor(error: unknown): Problem {
  if (error instanceof RuntimeError) {
    const status = STATUS[error.code];
    const headers: Record<string, string> = {};
    if (error instanceof CapacityError) headers["retry-after"] = String(error.retryAfterSeconds);
    if (error.code === "runtime_closed") headers["retry-after"] = "1";
    return {
      status,
      headers,
      body: {
        type: `about:blank#${error.code}`,
        title: error.code.replaceAll("_", " "),
        status,
        detail: error.message,
        code: error.code,
        ...error.data,
      },
    };
  }
  return {
    status: 500,
    headers: {},
    body: {
      type: "about:blank#internal",
      title: "internal error",
      status: 500,
      detail: "The runtime failed unexpectedly; see its log.",
      code: "internal",
    },
  };
}

export function sendProblem(res: ServerResponse, problem: Problem): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(problem.status, { "content-type": "application/problem+json", ...problem.headers });
  res.end(JSON.stringify(problem.body));
}

export function sendSimpleProblem(
  res: ServerResponse,
  status: number,
  code: string,
  detail: string,
  headers: Record<string, string> = {},
): void {
  sendProblem(res, { status, headers, body: { type: `about:blank#${code}`, title: code.replaceAll("_", " "), status, detail, code } });
}
