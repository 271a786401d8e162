import { Code, ConnectError, type Interceptor, type StreamRequest, type UnaryRequest } from "@connectrpc/connect";
import { abortStateOf } from "../call-abort-state.js";

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
    options.onUnexpectedError ?? ((error: unknown, procedure: string) => console.error(`unexpected error in ${procedure}`, error));

  const translate = (error: unknown, req: UnaryRequest | StreamRequest, procedure = procedureOf(req)): ConnectError => {
    if (error instanceof ConnectError) {
      return error;
    }
    const aborted = abortStateOf(req);
    if (aborted !== undefined) {
      // An AbortError from sleep/fetch/etc. after cancellation: the signal's reason is the
      // ConnectError connect chose (CANCELED or DEADLINE_EXCEEDED).
      return ConnectError.from(aborted.reason);
    }
    report(error, procedure);
    return new ConnectError(INTERNAL_MESSAGE, Code.Internal, undefined, undefined, error);
  };

  // Without async/await: one promise per call instead of a suspended frame (runs for every call).
  return (next) => (req) => {
    let pending: ReturnType<typeof next>;
    try {
      pending = next(req);
    } catch (error) {
      return Promise.reject(translate(error, req, procedureOf(req)));
    }
    return pending.then(
      (res) => (res.stream ? { ...res, message: new TranslatedStream(res.message, translate, req) } : res),
      (error: unknown) => {
        throw translate(error, req, procedureOf(req));
      },
    );
  };
}

function procedureOf(req: UnaryRequest | StreamRequest): string {
  return `/${req.service.typeName}/${req.method.name}`;
}

/**
 * A response stream whose errors go through `translate`. An iterator object rather than
 * an async generator around `yield*`: it costs nothing per message beyond the call it
 * forwards (a generator adds two promise turns to every message).
 */
class TranslatedStream<T> implements AsyncIterable<T>, AsyncIterator<T> {
  private readonly source: AsyncIterator<T>;

  /**
   * `translate` is the interceptor's, shared by its calls, and `req` this call's: no
   * closure per call is kept for as long as the stream is open.
   */
  constructor(
    iterable: AsyncIterable<T>,
    private readonly translate: (error: unknown, req: UnaryRequest | StreamRequest) => ConnectError,
    private readonly req: UnaryRequest | StreamRequest,
  ) {
    this.source = iterable[Symbol.asyncIterator]();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    return this.source.next().catch((error: unknown) => {
      throw this.translate(error, this.req);
    });
  }

  async return(value?: unknown): Promise<IteratorResult<T>> {
    return this.source.return ? this.source.return(value) : { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<T>> {
    if (this.source.throw) return this.source.throw(error).catch((e: unknown) => Promise.reject(this.translate(e, this.req)));
    throw error;
  }
}
