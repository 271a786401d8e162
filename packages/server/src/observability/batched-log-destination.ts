import { pino } from "pino";

/** Options of {@link createBatchedLogDestination}. */
export interface BatchedLogDestinationOptions {
  /** File descriptor to write to. Default 1 (stdout). */
  fd?: number;
}

/** A pino destination that writes what was logged in one event-loop turn with one write. */
export interface BatchedLogDestination {
  /** Takes one log line (pino calls it). */
  write(line: string): void;
  /** Writes everything pending now, synchronously (exit paths). */
  flushSync(): void;
}

/**
 * A log destination for a line per call: lines logged during one turn of the event loop
 * are joined and handed to pino's asynchronous destination (sonic-boom) once, at the end
 * of the turn (`setImmediate`). Under load that is one `write(2)` for dozens of calls
 * instead of sonic-boom's per-line bookkeeping (it measures the byte length of its whole
 * pending buffer on every line); when idle a line leaves within the same turn, so `docker
 * logs` and `kubectl logs` show it at once. Written by hand: pino and sonic-boom batch only
 * by size (`minLength`), which holds lines back on an idle server until something flushes.
 *
 * Pending lines are written synchronously when the process exits (`process.exit` included),
 * so a shutdown loses none.
 */
export function createBatchedLogDestination(options: BatchedLogDestinationOptions = {}): BatchedLogDestination {
  const target = pino.destination({ dest: options.fd ?? 1, sync: false });
  let pending: string[] = [];
  let scheduled = false;

  const drain = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const lines = pending;
    pending = [];
    target.write(lines.length === 1 ? (lines[0] as string) : lines.join(""));
  };

  const destination: BatchedLogDestination = {
    write(line) {
      pending.push(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(drain);
      }
    },
    flushSync() {
      drain();
      target.flushSync();
    },
  };
  flushOnExit(destination);
  return destination;
}

const toFlushOnExit = new Set<WeakRef<BatchedLogDestination>>();

/** One 'exit' listener for every destination (servers made in a loop must not pile them up). */
function flushOnExit(destination: BatchedLogDestination): void {
  if (toFlushOnExit.size === 0) {
    process.once("exit", () => {
      for (const ref of toFlushOnExit) {
        try {
          ref.deref()?.flushSync();
        } catch {
          // Nowhere left to report a failed write at exit.
        }
      }
    });
  }
  toFlushOnExit.add(new WeakRef(destination));
}
