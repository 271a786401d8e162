import type { Readable, Writable } from "node:stream";

/** What the CLI reads from and writes to; `main.ts` passes the process's own. */
export interface CliIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Aborts the running call (Ctrl-C), which then ends with CANCELED. */
  readonly signal: AbortSignal;
}
