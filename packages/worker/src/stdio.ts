// MCP over stdin/stdout for local clients (Claude Desktop, Cursor): the same server factory,
// one connection per process. Nothing else may write to stdout: logs go to stderr.
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import type { Worker } from "./worker.ts";

export function serveWorkerOverStdio(worker: Pick<Worker, "createMcpServer">): { close(): Promise<void> } {
  return serveStdio(() => worker.createMcpServer());
}
