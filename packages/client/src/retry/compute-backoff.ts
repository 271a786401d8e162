import type { RetryPolicy } from "./retry-policy.js";

/** A source of random numbers in [0, 1), like `Math.random`. Tests inject their own. */
export type RandomSource = () => number;

/**
 * The delay before the `retry`-th retry (1 for the first), in whole milliseconds: exponential
 * backoff with full jitter, i.e. uniformly random in
 * [0, min(maxBackoffMs, initialBackoffMs × multiplier^(retry-1))).
 *
 * Full jitter (rather than a fixed delay plus a little noise) spreads the retries of many
 * clients that failed at the same moment, so they do not hit a recovering server in
 * waves; it is what gRPC's retry design (A6) specifies.
 *
 * @example
 * computeBackoffMs(3, { initialBackoffMs: 100, maxBackoffMs: 2000, multiplier: 2 }, () => 0.5); // 200
 */
export function computeBackoffMs(
  retry: number,
  policy: Pick<RetryPolicy, "initialBackoffMs" | "maxBackoffMs" | "multiplier">,
  random: RandomSource = Math.random,
): number {
  // multiplier ** large overflows to Infinity, which min() caps.
  const bound = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * policy.multiplier ** Math.max(0, retry - 1));
  // Clamped in case an injected source strays outside [0, 1).
  const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON);
  return Math.floor(r * bound);
}
