import type { DescMessage, DescMethodStreaming, DescMethodUnary, MessageInitShape } from "@bufbuild/protobuf";
import type { ContextValues, StreamResponse, Transport, UnaryResponse } from "@connectrpc/connect";
import { requestMetadataError } from "../metadata/request-metadata-error.js";

/**
 * Wraps a transport so that every call's own `headers` option is checked before anything
 * is sent: a reserved key (`grpc-*`, `content-type`, …) or a malformed value fails the
 * call with INVALID_ARGUMENT naming the key (see {@link requestMetadataError}).
 *
 * Why a transport and not an interceptor: interceptors see the call's headers after connect
 * has merged its own protocol headers into them (`grpc-timeout`, `grpc-accept-encoding`, …),
 * so they cannot tell a caller's `grpc-timeout` from connect's. The transport still has the
 * caller's headers as given.
 */
export function guardCallHeaders(transport: Transport): Transport {
  return {
    unary<I extends DescMessage, O extends DescMessage>(
      method: DescMethodUnary<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      input: MessageInitShape<I>,
      contextValues?: ContextValues,
    ): Promise<UnaryResponse<I, O>> {
      const error = requestMetadataError(header);
      if (error !== undefined) {
        return Promise.reject(error);
      }
      return transport.unary(method, signal, timeoutMs, header, input, contextValues);
    },
    stream<I extends DescMessage, O extends DescMessage>(
      method: DescMethodStreaming<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      input: AsyncIterable<MessageInitShape<I>>,
      contextValues?: ContextValues,
    ): Promise<StreamResponse<I, O>> {
      const error = requestMetadataError(header);
      if (error !== undefined) {
        return Promise.reject(error);
      }
      return transport.stream(method, signal, timeoutMs, header, input, contextValues);
    },
  };
}
