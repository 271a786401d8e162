import {
  create,
  type DescMessage,
  type DescMethodBiDiStreaming,
  type DescMethodClientStreaming,
  type DescMethodServerStreaming,
  type MessageShape,
} from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor, type MethodImplSpec, type StreamRequest, type StreamResponse } from "@connectrpc/connect";
import { createMethodSerializationLookup } from "@connectrpc/connect/protocol";
import { callAndContextOf, type ServerStreamCall } from "./unary-call.js";
import { applyInterceptors, copyHeaders, createUrlCache, type FastPathMethodCommon, type UnaryMethodLimits } from "./unary-method.js";

type DescMethodStreaming = DescMethodServerStreaming | DescMethodClientStreaming | DescMethodBiDiStreaming;

/** A server-streaming method as connect registered it. */
export type ServerStreamingMethodSpec = Extract<MethodImplSpec, { kind: "server_streaming" }>;

/** What the fast path keeps per server-streaming method, built once. */
export interface ServerStreamMethod extends FastPathMethodCommon {
  readonly kind: "server_streaming";
  readonly spec: ServerStreamingMethodSpec;
  readonly method: DescMethodServerStreaming;
  /**
   * Runs the interceptors and the implementation as connect's
   * `invokeStreamImplementation` does: resolves with the response messages once the
   * chain has answered, its response headers already copied to the call.
   */
  invoke(call: ServerStreamCall): Promise<StreamResponse<DescMessage, DescMessage>>;
}

/**
 * Builds the fast path's view of one server-streaming method: the interceptor chain is
 * applied once, not per call. Its innermost function is connect's: it reads exactly one
 * request message from the (possibly wrapped) request stream — the errors for none or
 * several are connect's — and calls the implementation with a context built from the
 * request it was given; each response message goes through `create` (connect's
 * `normalizeIterable`).
 */
export function createServerStreamMethod(
  path: string,
  spec: ServerStreamingMethodSpec,
  interceptors: readonly Interceptor[],
  limits: UnaryMethodLimits,
): ServerStreamMethod {
  const method = spec.method;
  const output = method.output;

  const innermost = async (req: StreamRequest): Promise<StreamResponse> => {
    const { call, ctx } = callAndContextOf(req);
    const input = await ensureSingle(req.message);
    const messages = spec.impl(input as never, ctx) as AsyncIterable<MessageShape<DescMessage>>;
    return {
      stream: true,
      service: method.parent,
      method,
      header: call.responseHeader,
      trailer: call.responseTrailer,
      message: normalized(output, messages),
    } as StreamResponse;
  };
  return { kind: "server_streaming", spec, ...streamMethodParts(path, method, innermost, interceptors, limits) };
}

/**
 * What every streaming method of the fast path keeps besides its kind and spec: the
 * serialization and URL caches, and `invoke`, the interceptor chain around `innermost`
 * (applied once, here) that copies the response headers to the call.
 */
export function streamMethodParts<M extends DescMethodStreaming>(
  path: string,
  method: M,
  innermost: (req: StreamRequest) => Promise<StreamResponse>,
  interceptors: readonly Interceptor[],
  limits: UnaryMethodLimits,
): FastPathMethodCommon & {
  method: M;
  invoke(call: ServerStreamCall): Promise<StreamResponse<DescMessage, DescMessage>>;
} {
  const run = applyInterceptors(innermost, interceptors);
  return {
    method,
    serialization: createMethodSerializationLookup(method, limits.binaryOptions, limits.jsonOptions, limits),
    jsonOptions: limits.jsonOptions,
    async invoke(call) {
      const response = await run(call);
      copyHeaders(response.header, call.responseHeader);
      return response as StreamResponse<DescMessage, DescMessage>;
    },
    urlOf: createUrlCache(path),
  };
}

/** connect's `ensureSingle(iterable, "server-streaming")` (invoke-implementation.js). */
async function ensureSingle(iterable: AsyncIterable<unknown>): Promise<unknown> {
  const it = iterable[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done === true) {
    throw new ConnectError("protocol error: missing input message for server-streaming method", Code.Unimplemented);
  }
  const second = await it.next();
  if (second.done !== true) {
    throw new ConnectError("protocol error: received extra input message for server-streaming method", Code.Unimplemented);
  }
  return first.value;
}

/** connect's `normalizeIterable`: every message through `create`, `throw` and `return` passed on. */
export function normalized(desc: DescMessage, input: AsyncIterable<MessageShape<DescMessage>>): AsyncIterable<MessageShape<DescMessage>> {
  return {
    [Symbol.asyncIterator]() {
      const it = input[Symbol.asyncIterator]();
      const normalizing = new NormalizedIterator(desc, it);
      // Only the methods the source has, as connect's: a consumer may test for them.
      if (it.throw === undefined) normalizing.throw = undefined;
      if (it.return === undefined) normalizing.return = undefined;
      return normalizing as AsyncIterator<MessageShape<DescMessage>>;
    },
  };
}

/**
 * The iterator of {@link normalized}: one object and one closure per stream rather than an
 * object literal and four closures kept alive for as long as the stream is open.
 */
class NormalizedIterator {
  throw: ((e: unknown) => Promise<IteratorResult<MessageShape<DescMessage>>>) | undefined = this.throwInto;
  return: ((v: unknown) => Promise<IteratorResult<MessageShape<DescMessage>>>) | undefined = this.returnFrom;

  constructor(
    private readonly desc: DescMessage,
    private readonly it: AsyncIterator<MessageShape<DescMessage>>,
  ) {}

  next(): Promise<IteratorResult<MessageShape<DescMessage>>> {
    return this.it.next().then(this.transform);
  }

  private throwInto(e: unknown): Promise<IteratorResult<MessageShape<DescMessage>>> {
    return this.it.throw!(e).then(this.transform);
  }

  private returnFrom(v: unknown): Promise<IteratorResult<MessageShape<DescMessage>>> {
    return this.it.return!(v as never).then(this.transform);
  }

  /** A field, not a method: the one function every message's `then` gets, made once per stream. */
  private readonly transform = (result: IteratorResult<MessageShape<DescMessage>>): IteratorResult<MessageShape<DescMessage>> =>
    result.done === true ? result : { done: false, value: create(this.desc, result.value) };
}
