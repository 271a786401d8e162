import type * as http2 from "node:http2";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { compressedFlag } from "@connectrpc/connect/protocol";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { readGrpcRequest } from "./read-grpc-request.js";
import { RequestMessages } from "./request-messages.js";
import { envelope } from "./grpc-unary.js";
import { nodeHeadersOf, nodeTrailersOf, respondWithoutMessage, sendTrailersOrReset } from "./http2-response.js";
import type { ServerStreamMethod } from "./server-stream-method.js";
import { copyHeaders } from "./unary-method.js";
import type { ServerStreamCall } from "./unary-call.js";
import type { Exchange } from "./exchange.js";

/** What a gRPC server-streaming exchange needs besides the call. */
export type GrpcServerStreamExchange = Exchange<ServerStreamCall, ServerStreamMethod>;

/** What answering any streaming gRPC call needs: the method's serializers and its interceptor chain. */
export type GrpcStreamExchange = Exchange<ServerStreamCall, Pick<ServerStreamMethod, "serialization" | "invoke">>;

/**
 * Serves one gRPC server-streaming call (`application/grpc` or `application/grpc+proto`,
 * no request compression) on a raw HTTP/2 stream, with the wire behaviour of connect's
 * gRPC handler and Node adapter (protocol-grpc/handler-factory.js,
 * `universalResponseToNodeResponse`):
 *
 * - the interceptors and the implementation run at once, as with connect; the request
 *   body is split into envelopes and parsed as it arrives, and the implementation reads
 *   its message from it — or meets the error reading it met (too large, a compressed
 *   envelope, a message that does not parse, a truncated envelope, the client leaving),
 *   inside the interceptors, as with connect;
 * - response headers leave with the first message (so the handler may still set them
 *   until then), each message in its own envelope (compressed when negotiated and at
 *   least `compressMinBytes`), writes wait for 'drain' when the stream's buffer is full;
 * - the trailers carry `grpc-status` and the handler's trailers, or the error's status,
 *   message, details and metadata; a failure before any message is headers then trailers;
 * - when the client goes away the response stream is closed (`return()`), so the
 *   handler's `finally` runs, and the call's signal is aborted.
 */
export function serveGrpcServerStream(exchange: GrpcServerStreamExchange): void {
  const { stream, call, method } = exchange;
  const messages = new RequestMessages<MessageShape<DescMessage>>();
  // connect reads no further than a second message: it already fails the call ("received
  // extra input message"). Nor is what a client keeps sending buffered.
  readGrpcRequest(stream, messages, { readMaxBytes: exchange.readMaxBytes, input: method.serialization.getI(true), maxMessages: 2 });

  // As connect: the interceptors and the implementation start at once, before the body has
  // arrived; the implementation reads its request message from `call.message`.
  call.message = messages;
  call.begin();
  void respondGrpcStream(exchange);
}

/**
 * Runs a streaming call's interceptors and implementation and writes its answer, as
 * described at {@link serveGrpcServerStream}; the request side is the caller's. Shared by
 * every streaming kind (client-streaming and bidi: `serveGrpcRequestStream`).
 */
export async function respondGrpcStream(exchange: GrpcStreamExchange): Promise<void> {
  const { stream, call, method } = exchange;
  const output = method.serialization.getO(true);
  let headersSent = false;
  let failure: unknown;
  let iterator: AsyncIterator<MessageShape<DescMessage>> | undefined;
  // Whether the handler's messages ran out (or it failed): otherwise its iterator is closed.
  let exhausted = false;
  const sendHeaders = () => {
    stream.respond(nodeHeadersOf(200, exchange.baseHeaders, call.responseHeaderOrInit()), { waitForTrailers: true });
    headersSent = true;
  };
  try {
    const response = await method.invoke(call);
    iterator = response.message[Symbol.asyncIterator]();
    for (;;) {
      let result: IteratorResult<MessageShape<DescMessage>>;
      try {
        result = await iterator.next();
      } catch (error) {
        exhausted = true;
        throw error;
      }
      if (result.done === true) {
        exhausted = true;
        break;
      }
      if (isGone(stream)) break;
      let data = output.serialize(result.value);
      let flags = 0;
      if (exchange.compression !== null && data.byteLength >= exchange.compressMinBytes) {
        data = await exchange.compression.compress(data);
        flags = compressedFlag;
      }
      if (isGone(stream)) break;
      if (!headersSent) sendHeaders();
      if (!stream.write(envelope(flags, data))) await drained(stream);
      if (isGone(stream)) break;
    }
    if (!isGone(stream)) copyHeaders(response.trailer, call.responseTrailer);
  } catch (error) {
    failure = error === undefined ? UNDEFINED_THROWN : error;
  }
  if (!exhausted && iterator !== undefined) {
    // Stopped early — the client left, or a message could not be serialized, compressed or
    // sent: close the handler's stream so its `finally` runs (connect's pipeline does).
    iterator.return?.().catch(ignore);
  }
  if (isGone(stream)) {
    end(exchange, failure === UNDEFINED_THROWN ? undefined : failure);
    return;
  }
  try {
    if (failure !== undefined && failure !== UNDEFINED_THROWN) {
      // connect's transformCatchFinally: the status into the trailers.
      setTrailerStatus(
        call.responseTrailer,
        failure instanceof ConnectError ? failure : new ConnectError("internal error", Code.Internal, undefined, undefined, failure),
      );
    }
    const trailers = nodeTrailersOf(call.responseTrailerOrInit());
    if (!headersSent) {
      // No message went out: Trailers-Only when it may (see respondWithoutMessage).
      respondWithoutMessage(stream, nodeHeadersOf(200, exchange.baseHeaders, call.responseHeaderOrInit()), trailers);
    } else {
      stream.once("wantTrailers", () => sendTrailersOrReset(stream, trailers));
      stream.end();
    }
  } catch {
    // Headers Node refuses to send (a connection-specific name set by a handler), or a
    // status message that cannot be encoded: the call cannot be answered; reset it.
    if (!stream.destroyed) stream.close(INTERNAL_ERROR);
  }
  end(exchange, failure === UNDEFINED_THROWN ? undefined : failure);
}

/** The call is over: its signal aborts (with the error, if it failed), as connect's does. */
function end(exchange: GrpcStreamExchange, failure: unknown): void {
  exchange.call.abort(failure);
  exchange.onEnd(exchange.call);
}

function isGone(stream: http2.ServerHttp2Stream): boolean {
  return stream.destroyed || stream.closed;
}

/** Resolves when the stream can take more, or is gone. */
function drained(stream: http2.ServerHttp2Stream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}

/** `throw undefined` from a handler: connect leaves the trailers at OK then (`e !== undefined`). */
const UNDEFINED_THROWN = Symbol("undefined thrown");

/** NGHTTP2_INTERNAL_ERROR */
const INTERNAL_ERROR = 2;

function ignore(): void {}
