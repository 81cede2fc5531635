// One logger for every command: JSON lines on stderr, so stdout stays free for MCP over stdio
// and for output meant for people (URLs, tokens, benchmark tables). Writes are buffered off the
// request path (pino flushes them when the process exits).
import { type Logger, pino } from "pino";

export function createLogger(level: string = process.env.BOD_LOG_LEVEL ?? "info"): Logger {
  return pino({ level, base: { pid: process.pid } }, pino.destination({ dest: 2, sync: false, minLength: 0 }));
}
