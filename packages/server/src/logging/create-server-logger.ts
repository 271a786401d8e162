import { type LevelWithSilent, type Logger, pino } from "pino";
import { build as prettyStream } from "pino-pretty";
import { createBatchedLogDestination } from "../observability/batched-log-destination.js";
import type { LogFormat } from "./log-format.js";

/** Options of {@link createServerLogger}. */
export interface ServerLoggerOptions {
  /** pino level, or "silent" for no lines at all. */
  level: LevelWithSilent;
  /** JSON lines, or readable lines (see `resolveLogFormat`). */
  format: LogFormat;
}

/**
 * Fields of a line that a readable line leaves out: pino's process fields, and the start
 * line's structured copy of what its message already says.
 */
const PRETTY_IGNORED_KEYS = "pid,hostname,listening";

/**
 * The logger of the server as run by `main.ts`, on stdout.
 *
 * JSON: pino's lines through the batched destination (the lines of one event-loop turn
 * leave with one write(2); pending lines are flushed on exit). Pretty: pino-pretty in the
 * same process, one line per entry (time, level, message, then the fields), colored when
 * stdout is a terminal, written synchronously so that nothing is lost when the process exits.
 *
 * @example
 * const logger = createServerLogger({ level: "info", format: "pretty" });
 */
export function createServerLogger(options: ServerLoggerOptions): Logger {
  if (options.format === "json") return pino({ level: options.level }, createBatchedLogDestination());
  const stream = prettyStream({
    destination: 1,
    sync: true,
    singleLine: true,
    translateTime: "SYS:HH:MM:ss.l",
    ignore: PRETTY_IGNORED_KEYS,
    // Only a real error (`err`, with its stack) gets lines of its own; a call line's `error`
    // is the message the client got and stays on the line.
    errorLikeObjectKeys: ["err"],
  });
  return pino({ level: options.level }, stream);
}
