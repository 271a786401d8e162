import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { compressedFlag } from "@connectrpc/connect/protocol";
import { releaseUnreadStream } from "../http/release-unread-request.js";
import { EnvelopeReader } from "./envelope-reader.js";
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
  const reader = new EnvelopeReader(exchange.readMaxBytes);
  const input = method.serialization.getI(true);
  const messages = new RequestMessageQueue<MessageShape<DescMessage>>(stream);
  const stop = (error: unknown) => {
    if (messages.ended) return;
    messages.end(error);
    if (error !== undefined) stream.pause(); // as connect-node, which stops reading the request
  };

  stream.on("data", (chunk: Buffer) => {
    if (messages.ended) return;
    try {
      for (const envelope of reader.decode(chunk)) {
        // connect: transformDecompressEnvelope, then transformParseEnvelope.
        if ((envelope.flags & compressedFlag) === compressedFlag) {
          throw new ConnectError("received compressed envelope, but do not know how to decompress", Code.Internal);
        }
        messages.push(input.parse(envelope.data), envelope.data.byteLength + 5);
      }
    } catch (error) {
      stop(error);
    }
  });
  // RST_STREAM from the client (grpc-js, grpc-go and @hello/client cancel with CANCEL): Node
  // emits 'aborted' and then 'end', which must not read as the request's normal end.
  stream.once("aborted", () => stop(new ConnectError("the client cancelled the request stream", Code.Canceled)));
  stream.on("end", () => {
    stop(reader.pendingBytes > 0 ? new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument) : undefined);
  });
  // The client left before its request ended: what reading the body would have met.
  stream.once("close", () => stop(new ConnectError("the client closed the request stream", Code.Canceled)));

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
