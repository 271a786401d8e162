import { Code, ConnectError, createContextKey } from "@connectrpc/connect";

/**
 * How a client retries a failed call: at most `maxAttempts` attempts in all, the n-th retry
 * after a random delay in [0, min(maxBackoffMs, initialBackoffMs × multiplier^(n-1))) —
 * exponential backoff with "full jitter", as gRPC's retry design (A6) specifies.
 */
export interface RetryPolicy {
  /**
   * Attempts in all, the first one included; at least 1 (1 never retries). `Infinity`:
   * until the deadline (for a call without one — `timeoutMs: 0` — until it succeeds).
   */
  readonly maxAttempts: number;
  /** Upper bound of the first retry's delay, in milliseconds; greater than 0. */
  readonly initialBackoffMs: number;
  /** Upper bound of any retry's delay, in milliseconds; at least `initialBackoffMs`. */
  readonly maxBackoffMs: number;
  /** Growth of the bound from one retry to the next; at least 1. */
  readonly multiplier: number;
}

/** Retry settings of a client or a call: any field left out keeps its default. */
export type RetryOptions = Partial<RetryPolicy>;

/**
 * The default policy: up to 5 attempts (the cap gRPC's A6 design allows), the first retry
 * within 100 ms, doubling up to 2 s.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 5,
  initialBackoffMs: 100,
  maxBackoffMs: 2_000,
  multiplier: 2,
});

/**
 * Per-call retry settings, through connect's `contextValues` call option: `false` turns
 * retries off for the call, an object overrides fields of the client's policy (and turns
 * retries on for a client created with `retry: false`). Default: the client's policy.
 *
 * @example
 * import { createContextValues } from "@connectrpc/connect";
 * await client.sayHello(req, { contextValues: createContextValues().set(retryOptionsKey, false) });
 */
export const retryOptionsKey = createContextKey<RetryOptions | false | undefined>(undefined, {
  description: "hello retry options",
});

/**
 * Fills in the defaults and checks the values, throwing a `ConnectError` with
 * INVALID_ARGUMENT that names the bad field.
 */
export function resolveRetryPolicy(options: RetryOptions = {}, base: RetryPolicy = DEFAULT_RETRY_POLICY): RetryPolicy {
  const policy: RetryPolicy = {
    maxAttempts: options.maxAttempts ?? base.maxAttempts,
    initialBackoffMs: options.initialBackoffMs ?? base.initialBackoffMs,
    maxBackoffMs: options.maxBackoffMs ?? Math.max(base.maxBackoffMs, options.initialBackoffMs ?? 0),
    multiplier: options.multiplier ?? base.multiplier,
  };
  const { maxAttempts, initialBackoffMs, maxBackoffMs, multiplier } = policy;
  if (!(maxAttempts === Number.POSITIVE_INFINITY || (Number.isInteger(maxAttempts) && maxAttempts >= 1))) {
    throw invalid(`retry.maxAttempts must be an integer of at least 1, or Infinity; got ${maxAttempts}`);
  }
  if (!(Number.isFinite(initialBackoffMs) && initialBackoffMs > 0)) {
    throw invalid(`retry.initialBackoffMs must be a number greater than 0; got ${initialBackoffMs}`);
  }
  if (!(Number.isFinite(maxBackoffMs) && maxBackoffMs >= initialBackoffMs)) {
    throw invalid(`retry.maxBackoffMs must be a number of at least initialBackoffMs (${initialBackoffMs}); got ${maxBackoffMs}`);
  }
  if (!(Number.isFinite(multiplier) && multiplier >= 1)) {
    throw invalid(`retry.multiplier must be a number of at least 1; got ${multiplier}`);
  }
  return policy;
}

function invalid(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}
