import type { HandlerContext } from "@connectrpc/connect";

/** Call options that carry an incoming call's cancellation and deadline on to an outgoing one. */
export interface ContextCallOptions {
  /** Aborts when the incoming call is cancelled, times out, or the server shuts down. */
  signal: AbortSignal;
  /** Time left until the incoming call's deadline; absent when it has none. */
  timeoutMs?: number;
}

/**
 * Call options for a call made while handling another: the handler's signal, and the time
 * left until its deadline as the timeout, so the downstream call never outlives the
 * upstream one. Pass them straight to a client method (they are connect `CallOptions`).
 * The same semantics as `downstreamCallOptions` in `@hello/server`, for code that only
 * depends on the client.
 *
 * @example
 * const impl: ServiceImpl<typeof Gateway> = {
 *   async greet(req, ctx) {
 *     const { reply } = await hello.sayHello({ greeting: req.name }, callOptionsFromContext(ctx));
 *     return { reply };
 *   },
 * };
 */
export function callOptionsFromContext(ctx: Pick<HandlerContext, "signal" | "timeoutMs">): ContextCallOptions {
  const remaining = ctx.timeoutMs();
  if (remaining === undefined) {
    return { signal: ctx.signal };
  }
  // A deadline that has passed still gives a timeout of 1 ms: 0 means "no timeout" to connect.
  return { signal: ctx.signal, timeoutMs: Math.max(1, Math.floor(remaining)) };
}
