// One logger for every command: JSON lines on stderr, so stdout stays free for MCP over stdio
// and for output meant for people (URLs, tokens, benchmark tables).
import { type Logger, pino } from "pino";

export function createLogger(level: string = process.env.BOD_LOG_LEVEL ?? "info"): Logger {
  return pino({ level, base: { pid: process.pid } }, pino.destination(2));
}
