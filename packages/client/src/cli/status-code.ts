import { Code } from "@connectrpc/connect";

/** Exit status for usage errors (unknown command or flag, bad flag value): sysexits' EX_USAGE. */
export const USAGE_EXIT_CODE = 64;

/** Exit status when the CLI itself failed unexpectedly (a bug): sysexits' EX_SOFTWARE. */
export const INTERNAL_EXIT_CODE = 70;

/**
 * The canonical gRPC name of a status code, as the gRPC spec spells it
 * (`DEADLINE_EXCEEDED`); 0 is `OK`.
 */
export function codeName(code: Code | 0): string {
  if (code === 0) {
    return "OK";
  }
  const name = Code[code] as string | undefined;
  return name === undefined ? `CODE_${code}` : name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/**
 * The exit status of a call: 0 for OK, otherwise the gRPC status code number (1–16). The
 * codes are stable across gRPC implementations, so scripts can branch on them.
 */
export function exitCodeOf(code: Code | 0): number {
  return code;
}

/** The exit status table, for `hello --help`. */
export function exitStatusHelp(): string {
  const codes = Object.values(Code).filter((c): c is Code => typeof c === "number");
  const rows = codes.map((c) => `${String(c).padStart(4)}  ${codeName(c)}`);
  const half = Math.ceil(rows.length / 2);
  const lines = rows.slice(0, half).map((left, i) => `${left.padEnd(26)}${rows[half + i] ?? ""}`);
  return [
    "Exit status:",
    "     0  OK: the call succeeded",
    "  1-16  the call failed with that gRPC status code:",
    ...lines.map((l) => `  ${l}`),
    `    ${USAGE_EXIT_CODE}  usage error: unknown command or flag, or a bad flag value`,
  ].join("\n");
}
