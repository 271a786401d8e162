import type { HandlerContext } from "@connectrpc/connect";
import type { CallScope } from "./hello/greeter.js";

/**
 * Options to hand to any downstream call made while handling an RPC, so that it inherits
 * the caller's cancellation and the time left until its deadline. The shape matches
 * `@connectrpc/connect`'s `CallOptions` (`signal`, `timeoutMs`), so it can be passed to a
 * generated client as is, and `signal` works with `fetch` and most Node APIs.
 */
export interface DownstreamCallOptions {
  /** Fires when the incoming call is cancelled, times out or the server shuts down. */
  signal: AbortSignal;
  /** Time left until the incoming call's deadline; absent when it has none. */
  timeoutMs?: number;
}

/**
 * The slice of a handler context that plain logic functions may use: its signal and the
 * remaining time, read fresh each time it is asked.
 */
export function callScopeOf(ctx: HandlerContext): CallScope {
  return { signal: ctx.signal, timeoutMs: () => ctx.timeoutMs() };
}

/**
 * Call options for a downstream call, derived from the handler context (or a scope): the
 * cancellation signal, and the remaining time as its timeout so the downstream deadline is
 * never later than ours.
 *
 * @example
 * async sayHello(req, ctx) {
 *   const res = await otherClient.lookup(req, downstreamCallOptions(ctx));
 * }
 */
export function downstreamCallOptions(ctx: HandlerContext | CallScope): DownstreamCallOptions {
  const remaining = ctx.timeoutMs();
  if (remaining === undefined) {
    return { signal: ctx.signal };
  }
  // A deadline that has already passed still yields a positive timeout of at least 1 ms:
  // 0 would mean "no timeout" to some clients.
  return { signal: ctx.signal, timeoutMs: Math.max(1, Math.floor(remaining)) };
}
