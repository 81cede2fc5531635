// The base of every error the system raises on purpose and keeps inside: a string code callers
// branch on, structured data, and a message written for whoever reads it. Each package narrows the
// code to its own list (ToolError, GatewayError, RuntimeError, ArtifactStoreError, ...). What goes
// over a wire is mapped from these in one place per wire: the MCP server's isError results, and
// each HTTP server's problem details (problem-details.ts).

/**
 * An error raised on purpose. `code` is stable (clients and other packages branch on it); `data`
 * holds the facts a caller may act on (limits, ids, seconds to wait), never secrets or paths.
 */
export class BodError<
  Code extends string = string,
  Data extends Record<string, unknown> | undefined = Record<string, unknown> | undefined,
> extends Error {
  readonly code: Code;
  readonly data: Data;

  constructor(code: Code, message: string, data: Data, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "BodError";
    this.code = code;
    this.data = data;
  }
}
