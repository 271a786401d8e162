import type { DescMessage, DescMethod, MessageShape } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import {
  Code,
  ConnectError,
  type Interceptor,
  type StreamRequest,
  type StreamResponse,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { computeBackoffMs, type RandomSource } from "./compute-backoff.js";
import { resolveRetryPolicy, type RetryOptions, type RetryPolicy, retryOptionsKey } from "./retry-policy.js";
import { retryPushbackOf } from "./retry-pushback.js";
import { setTimeoutHeader, timeoutOfHeader } from "./timeout-header.js";

/**
 * Sent with every retry attempt: how many attempts came before it (gRPC's A6 design), so
 * servers and logs can tell a retry from a first call. The request id stays the same.
 */
export const PREVIOUS_ATTEMPTS_HEADER = "grpc-previous-rpc-attempts";

/** Options of {@link createRetryInterceptor}: the policy, plus a random source for tests. */
export interface RetryInterceptorOptions extends RetryOptions {
  /** Random numbers in [0, 1) for the jitter. Default `Math.random`. */
  random?: RandomSource;
}

/**
 * Retries calls that failed in a way that is safe and worth retrying, with exponential
 * backoff and full jitter ({@link computeBackoffMs}). A call is retried only when:
 *
 * - its method is declared side-effect free or idempotent in the proto
 *   (`option idempotency_level = NO_SIDE_EFFECTS` or `IDEMPOTENT`), so sending it again
 *   cannot do harm, and it is unary or server-streaming (a request stream would have to be
 *   buffered to be sent again);
 * - it failed with UNAVAILABLE (the server was unreachable, or shed the call before doing
 *   anything), or with RESOURCE_EXHAUSTED carrying a retry hint
 *   ({@link RETRY_PUSHBACK_HEADER}) — a server that says when to come back. A hint on
 *   UNAVAILABLE replaces the backoff; an invalid (e.g. negative) hint means "do not retry";
 * - for server streams, no message has arrived yet: after that, the caller has seen part of
 *   the answer and a retry could repeat it;
 * - attempts are left, and the call's deadline leaves room: the interceptor never sleeps
 *   past the deadline — when the next delay would end after it, the call fails at once with
 *   the last error — and each attempt is sent with the time that remains as its timeout;
 * - the caller has not cancelled it.
 *
 * It only uses `setTimeout`, `Headers` and `AbortSignal`, so it works in Node and browsers.
 * Put it last (innermost) in the interceptor list, so that outer interceptors see one
 * call and the transport sees each attempt.
 *
 * @param options The policy; `false` turns retries off unless a call turns them on
 * with {@link retryOptionsKey}.
 *
 * @example
 * createGrpcTransport({ baseUrl, interceptors: [createRetryInterceptor({ maxAttempts: 3 })] });
 */
export function createRetryInterceptor(options: RetryInterceptorOptions | false = {}): Interceptor {
  const clientPolicy = options === false ? undefined : resolveRetryPolicy(options);
  const random = (options !== false ? options.random : undefined) ?? Math.random;
  // Not async: a call that is not retried, or succeeds at once, takes no extra steps.
  return (next) => (req) => {
    let policy: RetryPolicy | undefined;
    try {
      const perCall = req.contextValues.get(retryOptionsKey);
      policy = perCall === false ? undefined : perCall === undefined ? clientPolicy : resolveRetryPolicy(perCall, clientPolicy);
    } catch (e) {
      return Promise.reject(e);
    }
    if (policy === undefined || policy.maxAttempts <= 1 || !isRetryable(req.method)) {
      return next(req);
    }
    // The deadline counts from now; the timeout header is read only if an attempt fails.
    const start = Date.now();
    const retryPolicy = policy;
    const retryOf = (): CallRetry => {
      const timeoutMs = timeoutOfHeader(req.header);
      return { policy: retryPolicy, random, signal: req.signal, deadline: timeoutMs === undefined ? undefined : start + timeoutMs };
    };
    if (req.stream) return retryServerStream(next, req, retryOf());
    return next(req).then(undefined, (e: unknown) => retryUnary(next, req, retryOf(), e));
  };
}

/** What one call's retries depend on. */
interface CallRetry {
  readonly policy: RetryPolicy;
  readonly random: RandomSource;
  readonly signal: AbortSignal;
  /** Epoch milliseconds; undefined when the call has no deadline. */
  readonly deadline: number | undefined;
}

type Next = (req: UnaryRequest | StreamRequest) => Promise<UnaryResponse | StreamResponse>;

function isRetryable(method: DescMethod): boolean {
  const safe =
    method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS ||
    method.idempotency === MethodOptions_IdempotencyLevel.IDEMPOTENT;
  return safe && (method.methodKind === "unary" || method.methodKind === "server_streaming");
}

/** The attempts of a unary call after the first, which failed with `firstError`. */
async function retryUnary(next: Next, req: UnaryRequest, call: CallRetry, firstError: unknown): Promise<UnaryResponse | StreamResponse> {
  const schedule = createSchedule(call);
  await schedule.waitBeforeRetry(ConnectError.from(firstError), 1);
  for (let attempt = 2; ; attempt++) {
    try {
      return await next({ ...req, header: attemptHeader(req.header, attempt, call) });
    } catch (e) {
      await schedule.waitBeforeRetry(ConnectError.from(e), attempt);
    }
  }
}

async function retryServerStream(next: Next, req: StreamRequest, call: CallRetry): Promise<StreamResponse> {
  // A server stream has exactly one request message; keep it to send it again.
  const input: MessageShape<DescMessage>[] = [];
  for await (const message of req.message) input.push(message);
  const schedule = createSchedule(call);
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await next({
        ...req,
        header: attempt === 1 ? req.header : attemptHeader(req.header, attempt, call),
        message: replay(input),
      });
      if (!res.stream) {
        throw new ConnectError("protocol error: expected a stream response", Code.Internal);
      }
      // Wait for the first message (or the end): an error before it may be retried, one
      // after it is the caller's.
      const it = res.message[Symbol.asyncIterator]();
      const first = await it.next();
      return { ...res, message: prepend(first, it) };
    } catch (e) {
      await schedule.waitBeforeRetry(ConnectError.from(e), attempt);
    }
  }
}

/**
 * Decides whether to retry after a failed attempt and waits the delay, or rethrows the
 * error. Pushback resets the backoff, as A6 specifies.
 */
function createSchedule(call: CallRetry) {
  let retriesSincePushback = 0;
  return {
    async waitBeforeRetry(error: ConnectError, attemptsMade: number): Promise<void> {
      if (call.signal.aborted || attemptsMade >= call.policy.maxAttempts) {
        throw error;
      }
      const pushback = retryPushbackOf(error);
      let delayMs: number;
      if (pushback === "stop") {
        throw error;
      } else if (pushback !== undefined && (error.code === Code.Unavailable || error.code === Code.ResourceExhausted)) {
        delayMs = pushback;
        retriesSincePushback = 0;
      } else if (error.code === Code.Unavailable) {
        retriesSincePushback++;
        delayMs = computeBackoffMs(retriesSincePushback, call.policy, call.random);
      } else {
        throw error;
      }
      // Never sleep past the deadline; an attempt needs at least a millisecond to run.
      if (call.deadline !== undefined && Date.now() + delayMs >= call.deadline - 1) {
        throw error;
      }
      await sleep(delayMs, call.signal);
    },
  };
}

/** The original headers plus the retry's attempt count and remaining timeout. */
function attemptHeader(original: Headers, attempt: number, call: CallRetry): Headers {
  const header = new Headers(original);
  header.set(PREVIOUS_ATTEMPTS_HEADER, String(attempt - 1));
  if (call.deadline !== undefined) {
    setTimeoutHeader(header, call.deadline - Date.now());
  }
  return header;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(ConnectError.from(signal.reason, Code.Canceled));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

async function* replay<T>(items: readonly T[]): AsyncIterable<T> {
  yield* items;
}

async function* prepend<T>(first: IteratorResult<T>, rest: AsyncIterator<T>): AsyncIterable<T> {
  if (first.done === true) {
    return;
  }
  let ended = false;
  try {
    yield first.value;
    for (;;) {
      const r = await rest.next();
      if (r.done === true) {
        ended = true;
        return;
      }
      yield r.value;
    }
  } catch (e) {
    ended = true;
    throw e;
  } finally {
    // The caller stopped early (break): let the underlying stream clean up.
    if (!ended) await rest.return?.();
  }
}
