import {
  create,
  type DescMessage,
  type DescMethodBiDiStreaming,
  type DescMethodClientStreaming,
  type MessageShape,
} from "@bufbuild/protobuf";
import type { Interceptor, MethodImplSpec, StreamRequest, StreamResponse } from "@connectrpc/connect";
import { normalized, streamMethodParts } from "./server-stream-method.js";
import { callAndContextOf, type ServerStreamCall } from "./unary-call.js";
import type { FastPathMethodCommon, UnaryMethodLimits } from "./unary-method.js";

/** A client-streaming method as connect registered it. */
export type ClientStreamingMethodSpec = Extract<MethodImplSpec, { kind: "client_streaming" }>;

/** A bidi-streaming method as connect registered it. */
export type BidiStreamingMethodSpec = Extract<MethodImplSpec, { kind: "bidi_streaming" }>;

/** What the fast path keeps per client-streaming or bidi-streaming method, built once. */
export interface StreamMethod extends FastPathMethodCommon {
  readonly kind: "client_streaming" | "bidi_streaming";
  readonly spec: ClientStreamingMethodSpec | BidiStreamingMethodSpec;
  readonly method: DescMethodClientStreaming | DescMethodBiDiStreaming;
  /**
   * Runs the interceptors and the implementation as connect's
   * `invokeStreamImplementation` does: resolves with the response messages once the
   * chain has answered (client-streaming: once the implementation has returned its one
   * message), its response headers already copied to the call.
   */
  invoke(call: ServerStreamCall): Promise<StreamResponse<DescMessage, DescMessage>>;
}

/**
 * Builds the fast path's view of one client-streaming or bidi-streaming method: the
 * interceptor chain is applied once, not per call. Its innermost function is connect's
 * (`transformInvokeImplementation`): the implementation gets the (possibly wrapped)
 * request stream and a context built from the request it was given; a client-streaming
 * implementation's result becomes a one-message stream, a bidi one's messages each go
 * through `create` (connect's `normalize` / `normalizeIterable`).
 */
export function createStreamMethod(
  path: string,
  spec: ClientStreamingMethodSpec | BidiStreamingMethodSpec,
  interceptors: readonly Interceptor[],
  limits: UnaryMethodLimits,
): StreamMethod {
  const method = spec.method;
  const output = method.output;
  const responseOf = (call: ServerStreamCall, message: AsyncIterable<MessageShape<DescMessage>>): StreamResponse =>
    ({
      stream: true,
      service: method.parent,
      method,
      header: call.responseHeader,
      trailer: call.responseTrailer,
      message,
    }) as StreamResponse;

  const innermost =
    spec.kind === "client_streaming"
      ? async (req: StreamRequest): Promise<StreamResponse> => {
          const { call, ctx } = callAndContextOf(req);
          const returned: unknown = await spec.impl(req.message as never, ctx);
          return responseOf(call as ServerStreamCall, single(create(output, returned as never)));
        }
      : (req: StreamRequest): Promise<StreamResponse> => {
          try {
            const { call, ctx } = callAndContextOf(req);
            const messages = spec.impl(req.message as never, ctx) as AsyncIterable<MessageShape<DescMessage>>;
            return Promise.resolve(responseOf(call as ServerStreamCall, normalized(output, messages)));
          } catch (error) {
            return Promise.reject(error);
          }
        };
  return { kind: spec.kind, spec, ...streamMethodParts(path, method, innermost, interceptors, limits) };
}

/** connect's `createAsyncIterable([message])`: a stream of one message. */
async function* single<T>(message: T): AsyncGenerator<T> {
  yield message;
}
