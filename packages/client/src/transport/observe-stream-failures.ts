import type { DescMessage, DescMethodStreaming, MessageInitShape } from "@bufbuild/protobuf";
import type { ContextValues, StreamResponse, Transport } from "@connectrpc/connect";

/**
 * Wraps a transport so that a streaming call that fails before its caller reads from it
 * (the deadline passes, the server answers with an error while the caller is still writing
 * a bidi stream) does not become an unhandled promise rejection.
 *
 * connect's server- and bidi-streaming clients hand the caller an iterable at once and look
 * at the transport's promise only on the first `next()`; a rejection before that is
 * unhandled for that long, and Node ends the process on an unhandled rejection by default.
 * The caller still gets the error, from that first `next()`.
 */
export function observeStreamFailures(transport: Transport): Transport {
  return {
    unary: transport.unary.bind(transport),
    stream<I extends DescMessage, O extends DescMessage>(
      method: DescMethodStreaming<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      input: AsyncIterable<MessageInitShape<I>>,
      contextValues?: ContextValues,
    ): Promise<StreamResponse<I, O>> {
      const response = transport.stream(method, signal, timeoutMs, header, input, contextValues);
      response.catch(() => {
        // Observed here; the caller's first read rejects with the same error.
      });
      return response;
    },
  };
}
