import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/** Options of {@link createErrorBoundaryInterceptor}. */
export interface ErrorBoundaryOptions {
  /**
   * Sees every unexpected error (anything but a `ConnectError`) with its stack, before the
   * client gets a bare INTERNAL. Defaults to `console.error`.
   */
  onUnexpectedError?: (error: unknown, procedure: string) => void;
}

/** The message clients get for an unexpected server error: nothing internal leaks. */
export const INTERNAL_MESSAGE = "internal error";

/**
 * Makes sure only `ConnectError`s with a deliberate code cross the RPC boundary: anything
 * else a handler throws (a bug, a failed dependency) becomes INTERNAL with a fixed message,
 * and the original goes to `onUnexpectedError` (and into the error's `cause`, which never
 * reaches the wire). Errors caused by the call's own cancellation or deadline keep the
 * code connect gave them (CANCELED, DEADLINE_EXCEEDED).
 */
export function createErrorBoundaryInterceptor(options: ErrorBoundaryOptions = {}): Interceptor {
  const report =
    options.onUnexpectedError ??
    ((error: unknown, procedure: string) => console.error(`unexpected error in ${procedure}`, error));

  const translate = (error: unknown, signal: AbortSignal, procedure: string): ConnectError => {
    if (error instanceof ConnectError) {
      return error;
    }
    if (signal.aborted) {
      // An AbortError from sleep/fetch/etc. after cancellation: the signal's reason is the
      // ConnectError connect chose (CANCELED or DEADLINE_EXCEEDED).
      return ConnectError.from(signal.reason);
    }
    report(error, procedure);
    return new ConnectError(INTERNAL_MESSAGE, Code.Internal, undefined, undefined, error);
  };

  return (next) => async (req) => {
    const procedure = `/${req.service.typeName}/${req.method.name}`;
    try {
      const res = await next(req);
      if (!res.stream) {
        return res;
      }
      return {
        ...res,
        message: (async function* () {
          try {
            yield* res.message;
          } catch (error) {
            throw translate(error, req.signal, procedure);
          }
        })(),
      };
    } catch (error) {
      throw translate(error, req.signal, procedure);
    }
  };
}
