/** How the server's log lines look: JSON lines for machines, or readable lines for people. */
export type LogFormat = "json" | "pretty";

/** The values of `LOG_FORMAT`: a format, or `auto` to choose by where stdout goes. */
export const LOG_FORMAT_SETTINGS = ["auto", "json", "pretty"] as const;

/** One of {@link LOG_FORMAT_SETTINGS}. */
export type LogFormatSetting = (typeof LOG_FORMAT_SETTINGS)[number];

/**
 * The format to log in: the one asked for, or for `auto`, readable lines when stdout is a
 * terminal (someone is watching) and JSON lines when it is a pipe or a file (a collector is).
 *
 * @example
 * resolveLogFormat("auto", process.stdout.isTTY === true); // "pretty" in a terminal
 */
export function resolveLogFormat(setting: LogFormatSetting, stdoutIsTTY: boolean): LogFormat {
  if (setting !== "auto") return setting;
  return stdoutIsTTY ? "pretty" : "json";
}
