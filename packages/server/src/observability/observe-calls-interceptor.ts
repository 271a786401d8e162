import { Code, ConnectError, type Interceptor, type StreamRequest, type StreamResponse, type UnaryRequest } from "@connectrpc/connect";
import { abortStateOf } from "../call-abort-state.js";
import { type CallObserver, ObservedCall } from "./observed-call.js";
import type { RpcProtocol } from "../http/write-rpc-error.js";
import { rpcProtocolOf } from "./rpc-protocol.js";
import { connectionInfoKey } from "./connection-info.js";

/** Codes a connection that broke under a call surfaces as; see endCall. */
const TRANSPORT_CODES: ReadonlySet<Code> = new Set([Code.Internal, Code.Unknown, Code.Aborted]);

/**
 * One interceptor that times every call and tells the observers (metrics, the call log)
 * when it starts and when it ends, with its status code and message counts. Unary calls
 * end when the handler returns or throws; streaming calls when their response stream
 * ends, fails or is abandoned (the client went away, the deadline passed).
 *
 * Put it first (outermost), so it sees the status the client gets: after the error
 * boundary has turned unexpected exceptions into INTERNAL and validation has run.
 * Calls that never reach a handler (unknown method, a malformed or oversized unary
 * request, bidi over HTTP/1.1) are answered by connect or the server before any
 * interceptor and are not seen here.
 *
 * @example
 * connectNodeAdapter({ routes, interceptors: [createObserveCallsInterceptor([metrics, log]), …] });
 */
export function createObserveCallsInterceptor(observers: readonly CallObserver[]): Interceptor {
  // Built once. Connect applies the interceptor chain for each call (`(next) => …` below
  // runs per call), so nothing is built there but the closure itself.
  const starters = observers.filter((o) => o.callStarted !== undefined);
  const endCall = (call: ObservedCall, error: unknown, req: UnaryRequest | StreamRequest): void => {
    call.durationMs = performance.now() - call.startedAt;
    // A handler that stops quietly when its call is cancelled or times out still did not
    // answer OK: the client saw the reason the call was aborted with. (Asked without
    // reading `req.signal`, which the fast path would have to create for this alone.)
    const cause = error === undefined ? abortStateOf(req)?.reason : error;
    if (cause !== undefined) {
      const connectError = ConnectError.from(cause);
      if (TRANSPORT_CODES.has(connectError.code) && req.contextValues.get(connectionInfoKey)?.closed === true) {
        // The connection is gone: the client went away, and whatever the transport raised
        // for it (HTTP/2 streams destroyed with INTERNAL_ERROR, Node's "aborted" or
        // ECONNRESET on HTTP/1.1) is not a server fault. grpc-go ends such calls CANCELLED too.
        call.code = Code.Canceled;
        call.error = new ConnectError(`connection closed: ${connectError.rawMessage}`, Code.Canceled, undefined, undefined, connectError);
      } else {
        call.code = connectError.code;
        call.error = connectError;
      }
    }
    for (const observer of observers) observer.callEnded(call);
  };

  // Unary calls without async/await: one promise per call instead of a suspended frame
  // and its extra turns (this runs for every call).
  return (next) => (req) => {
    const call = new ObservedCall(req.method, protocolOf(req), req.contextValues, performance.now());
    for (const observer of starters) observer.callStarted?.(call);

    if (!req.stream) {
      call.messagesReceived = 1;
      let pending: ReturnType<typeof next>;
      try {
        pending = next(req);
      } catch (error) {
        endCall(call, error, req);
        return Promise.reject(error);
      }
      return pending.then(
        (res) => {
          call.messagesSent = 1;
          endCall(call, undefined, req);
          return res;
        },
        (error: unknown) => {
          endCall(call, error, req);
          throw error;
        },
      );
    }
    return observeStream(next, req, call, endCall);
  };
}

/**
 * The wire protocol of a call: the fast path's calls name it (`protocolName`, from the same
 * content types), connect's requests are told by their content type.
 */
function protocolOf(req: UnaryRequest | StreamRequest): RpcProtocol {
  const named = (req as { protocolName?: unknown }).protocolName;
  if (named === "grpc" || named === "grpc-web" || named === "connect") return named;
  return rpcProtocolOf(req.header.get("content-type"));
}

async function observeStream(
  next: Parameters<Interceptor>[0],
  req: StreamRequest,
  call: ObservedCall,
  endCall: (call: ObservedCall, error: unknown, req: StreamRequest) => void,
): Promise<StreamResponse> {
  let res;
  try {
    res = await next({ ...req, message: new CountedMessages(req.message, call) });
  } catch (error) {
    endCall(call, error, req);
    throw error;
  }
  if (!res.stream) {
    // Connect answers streaming methods with streams; should that ever change, still end the call.
    endCall(call, undefined, req);
    return res as unknown as StreamResponse;
  }
  return { ...res, message: new ObservedStream(res.message, call, endCall, req) };
}

/**
 * The request stream, counting the messages the handler reads. An iterator object rather
 * than an async generator: cheaper per message, and nothing to run when it is abandoned.
 */
class CountedMessages<T> implements AsyncIterable<T>, AsyncIterator<T> {
  private readonly source: AsyncIterator<T>;

  constructor(
    iterable: AsyncIterable<T>,
    private readonly call: ObservedCall,
  ) {
    this.source = iterable[Symbol.asyncIterator]();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  // Not async, as ObservedStream's: a bidi call waits here for as long as it is open.
  next(): Promise<IteratorResult<T>> {
    let pending: Promise<IteratorResult<T>>;
    try {
      pending = Promise.resolve(this.source.next()); // as `await`, whatever the source returns
    } catch (error) {
      return Promise.reject(error);
    }
    return pending.then((result) => {
      if (result.done !== true) this.call.messagesReceived++;
      return result;
    });
  }

  async return(value?: unknown): Promise<IteratorResult<T>> {
    return this.source.return ? this.source.return(value) : { done: true, value: undefined };
  }
}

/**
 * The response stream, counting the messages sent and ending the call exactly once: when
 * the stream is done (OK), fails (its error's code), or is abandoned by the consumer
 * (CANCELED) — or, whichever way it ends, with the reason the call was aborted with. Unlike an async generator, whose
 * `finally` never runs when it is closed before its first `next()`, `return()` here
 * always ends the call.
 */
class ObservedStream<T> implements AsyncIterable<T>, AsyncIterator<T> {
  private readonly source: AsyncIterator<T>;
  private ended = false;

  constructor(
    iterable: AsyncIterable<T>,
    private readonly call: ObservedCall,
    private readonly endCall: (call: ObservedCall, error: unknown, req: StreamRequest) => void,
    private readonly req: StreamRequest,
  ) {
    this.source = iterable[Symbol.asyncIterator]();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  // Not async: a pending `then` keeps less alive than a suspended frame, and a response
  // stream waits in `next()` for as long as it is open.
  next(): Promise<IteratorResult<T>> {
    let pending: Promise<IteratorResult<T>>;
    try {
      pending = Promise.resolve(this.source.next()); // as `await`, whatever the source returns
    } catch (error) {
      this.end(error);
      return Promise.reject(error);
    }
    return pending.then(
      (result) => {
        if (result.done === true) this.end(undefined);
        else this.call.messagesSent++;
        return result;
      },
      (error: unknown) => {
        this.end(error);
        throw error;
      },
    );
  }

  async return(value?: unknown): Promise<IteratorResult<T>> {
    if (!this.ended && !this.req.signal.aborted) {
      this.end(new ConnectError("response stream closed before its end", Code.Canceled));
    }
    this.end(undefined); // the call's abort reason, when it has one
    return this.source.return ? this.source.return(value) : { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<T>> {
    this.end(error);
    if (this.source.throw) return this.source.throw(error);
    throw error;
  }

  private end(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.endCall(this.call, error, this.req);
  }
}
