/**
 * Waits `ms` milliseconds, or rejects as soon as `signal` aborts — as
 * `setTimeout(ms, undefined, { signal })` of `node:timers/promises` does, with the same
 * error (an `AbortError`, code `ABORT_ERR`, the signal's reason as its `cause`), at once
 * when the signal has already aborted. The greeter's default sleep: Node's version chains
 * a `finally` through its own promise subclass, about ten promises and closures that every
 * streaming call paused between two replies keeps alive; this one keeps one promise, one
 * timer and one abort listener.
 *
 * @example
 * await abortableSleep(100, ctx.signal);
 */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortErrorOf(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortErrorOf(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** The error `node:timers/promises` rejects with when its signal aborts (Node's internal `AbortError`). */
function abortErrorOf(signal: AbortSignal): Error {
  const error = new Error("The operation was aborted", { cause: signal.reason });
  error.name = "AbortError";
  (error as Error & { code: string }).code = "ABORT_ERR";
  return error;
}
