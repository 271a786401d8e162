import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { releaseUnreadStream } from "../http/release-unread-request.js";
import { readGrpcRequest } from "./read-grpc-request.js";
import type { Exchange } from "./exchange.js";
import { respondGrpcStream } from "./grpc-server-stream.js";
import { RequestMessageQueue } from "./request-message-queue.js";
import type { StreamMethod } from "./stream-method.js";
import type { ServerStreamCall } from "./unary-call.js";

/** What a gRPC client-streaming or bidi exchange needs besides the call. */
export type GrpcRequestStreamExchange = Exchange<ServerStreamCall, StreamMethod>;

/**
 * Serves one gRPC client-streaming or bidi-streaming call (`application/grpc` or
 * `application/grpc+proto`, no request compression) on a raw HTTP/2 stream, with the wire
 * behaviour of connect's gRPC handler and Node adapter:
 *
 * - the interceptors and the implementation run at once, as with connect; the request
 *   body is split into envelopes and parsed as it arrives, and the implementation reads
 *   the messages as an async iterable ({@link RequestMessageQueue}: the request is paused
 *   while the implementation does not read), then the end of the body or the error
 *   reading it met (too large, a compressed envelope, a message that does not parse, a
 *   truncated envelope, the client leaving), inside the interceptors, as with connect;
 * - the answer is written as a server stream's (`respondGrpcStream`): headers with the
 *   first message — which may leave before the request has ended (full duplex) — then
 *   the trailers, or Trailers-Only when no message went out and it may;
 * - once the answer is written, what is left of the request is read and dropped, and a
 *   client still sending after a grace period is cut off (RST_STREAM(NO_ERROR)), as on
 *   connect's path (`releaseUnreadStream`); the request messages end for a reader still
 *   waiting;
 * - when the client goes away, the messages end with CANCELED, the response stream is
 *   closed (`return()`), so the handler's `finally` runs, and the call's signal is
 *   aborted.
 */
export function serveGrpcRequestStream(exchange: GrpcRequestStreamExchange): void {
  const { stream, call, method } = exchange;
  const messages = new RequestMessageQueue<MessageShape<DescMessage>>(stream);
  const stop = readGrpcRequest(stream, messages, { readMaxBytes: exchange.readMaxBytes, input: method.serialization.getI(true) });

  const onEnd = exchange.onEnd;
  call.message = messages;
  call.begin();
  void respondGrpcStream({
    ...exchange,
    onEnd(ended) {
      // Answered: nobody needs the rest of the request (a reader still waiting is told so).
      stop(new ConnectError("the call has ended", Code.Canceled));
      releaseUnreadStream(stream);
      onEnd(ended);
    },
  });
}
