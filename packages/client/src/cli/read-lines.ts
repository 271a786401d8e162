import type { Readable } from "node:stream";
import { createInterface } from "node:readline";

/**
 * The lines of a text stream as they arrive (without line endings; blank lines skipped),
 * ending at end of input or when `signal` aborts. Reading starts on the first `next()`.
 */
export async function* readLines(input: Readable, signal: AbortSignal): AsyncGenerator<string> {
  if (signal.aborted) {
    return;
  }
  const lines = createInterface({ input, crlfDelay: Infinity });
  const stop = () => lines.close();
  signal.addEventListener("abort", stop, { once: true });
  try {
    for await (const line of lines) {
      if (line.trim() !== "") {
        yield line;
      }
    }
  } finally {
    signal.removeEventListener("abort", stop);
    lines.close();
  }
}
