const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/**
 * Parses a duration flag such as `250ms`, `1.5s`, `2m` or `1m30s` into milliseconds
 * (rounded). A unit is required, except for a bare `0`. Returns an `Error` that names the
 * accepted format when the text does not parse.
 *
 * @example
 * parseDuration("1m30s"); // 90000
 */
export function parseDuration(text: string): number | Error {
  const trimmed = text.trim();
  if (trimmed === "0") {
    return 0;
  }
  let ms = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < trimmed.length) {
    const match = PART.exec(trimmed);
    if (match === null) {
      return new Error(`"${text}" is not a duration: use a number and a unit (ms, s, m, h), e.g. 250ms, 1.5s or 1m30s`);
    }
    ms += Number(match[1]) * (UNIT_MS[match[2] ?? ""] ?? Number.NaN);
  }
  if (trimmed === "" || !Number.isFinite(ms)) {
    return new Error(`"${text}" is not a duration: use a number and a unit (ms, s, m, h), e.g. 250ms, 1.5s or 1m30s`);
  }
  return Math.round(ms);
}
