import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { compressedFlag } from "@connectrpc/connect/protocol";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { trailerFlag, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";
import { EnvelopeReader } from "./envelope-reader.js";
import { type HeaderSource, nodeHeadersOf, nodeTrailersOf } from "./http2-response.js";
import type { UnaryMethod } from "./unary-method.js";
import type { UnaryExchange } from "./exchange.js";

/** What a gRPC or gRPC-Web unary exchange needs besides the call. */
export interface GrpcUnaryExchange extends UnaryExchange<UnaryMethod> {
  /** gRPC-Web (binary): trailers travel as the body's last envelope. */
  readonly web: boolean;
}

/**
 * Serves one gRPC unary call (`application/grpc` or `application/grpc+proto`, no request
 * compression) on its wire, with connect's wire behaviour
 * (protocol-grpc/handler-factory.js): the request body is split into envelopes as it
 * arrives and errors are answered as soon as connect would see them; the method runs
 * once the body has ended with exactly one message; the response is HEADERS, one
 * envelope (compressed when negotiated and at least `compressMinBytes`), and trailers
 * with `grpc-status` — errors are the same headers and trailers without a body.
 *
 * gRPC-Web (`web`; protocol-grpc-web/handler-factory.js) reads the request the same way
 * but skips envelopes flagged as trailers, and ends the body with the trailers as one more
 * envelope (compressed like a message) instead of sending HTTP trailers — errors included.
 * gRPC (not Web) needs a wire that carries HTTP trailers (`carriesTrailers`: HTTP/2).
 */
export function serveGrpcUnary(exchange: GrpcUnaryExchange): void {
  const { wire, call, method } = exchange;
  const reader = new EnvelopeReader(exchange.readMaxBytes);
  const input = method.serialization.getI(true);
  let received = 0;
  let settled = false;

  const fail = (error: unknown) => {
    if (settled) return;
    settled = true;
    respondError(exchange, error);
    // The answer is out before the request is: drop the rest, cut off a client that keeps sending.
    wire.releaseUnread();
  };

  wire.onData((chunk: Buffer) => {
    if (settled) return;
    try {
      for (const envelope of reader.decode(chunk)) {
        // connect: transformDecompressEnvelope, transformParseEnvelope, then ensureSingle.
        if ((envelope.flags & compressedFlag) === compressedFlag) {
          throw new ConnectError("received compressed envelope, but do not know how to decompress", Code.Internal);
        }
        // connect's gRPC-Web handler: transformParseEnvelope(…, trailerFlag) drops them unseen.
        if (exchange.web && (envelope.flags & trailerFlag) === trailerFlag) continue;
        received++;
        const message = input.parse(envelope.data);
        if (received > 1) {
          throw new ConnectError("protocol error: received extra input message for unary method", Code.Unimplemented);
        }
        call.message = message;
      }
    } catch (error) {
      fail(error);
    }
  });
  wire.onEnd(() => {
    if (settled) return;
    if (reader.pendingBytes > 0) {
      fail(new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument));
      return;
    }
    if (received === 0) {
      fail(new ConnectError("protocol error: missing input message for unary method", Code.Unimplemented));
      return;
    }
    settled = true;
    call.begin();
    method.invoke(
      call,
      (message) => respondMessage(exchange, message),
      (error: unknown) => respondError(exchange, error),
    );
  });
}

function respondMessage(exchange: GrpcUnaryExchange, message: MessageShape<DescMessage>): void {
  let data: Uint8Array;
  try {
    data = exchange.method.serialization.getO(true).serialize(message);
  } catch (error) {
    respondError(exchange, error);
    return;
  }
  const compression = exchange.compression;
  if (compression !== null && data.byteLength >= exchange.compressMinBytes) {
    compression.compress(data).then(
      (compressed) => respondFrame(exchange, envelope(compressedFlag, compressed)),
      (error: unknown) => respondError(exchange, error),
    );
    return;
  }
  respondFrame(exchange, envelope(0, data));
}

/** connect's encodeEnvelope, into a pooled Buffer (see envelope-reader.ts on why not a new Uint8Array). */
export function envelope(flags: number, data: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(data.byteLength + 5);
  frame[0] = flags;
  frame.writeUInt32BE(data.byteLength, 1);
  frame.set(data, 5);
  return frame;
}

function respondFrame(exchange: GrpcUnaryExchange, frame: Uint8Array): void {
  const { call } = exchange;
  if (exchange.web) {
    // connect sends the headers with the message, then aborts the signal and serializes
    // the trailers (transformCatchFinally).
    // The headers as they are now: what the abort runs must not change them.
    const headers = nodeTrailersOf(call.responseHeaderOrInit()) as Readonly<Record<string, string>>;
    call.abort();
    respondWeb(exchange, frame, headers);
    return;
  }
  exchange.wire.respondWithTrailers(
    nodeHeadersOf(200, exchange.baseHeaders, call.responseHeaderOrInit()),
    frame,
    nodeTrailersOf(call.responseTrailerOrInit()),
  );
  // connect aborts the handler's signal once the response is out (transformCatchFinally).
  call.abort();
  exchange.onEnd(call);
}

function respondError(exchange: GrpcUnaryExchange, reason: unknown): void {
  const { call } = exchange;
  // connect's transformCatchFinally: abort with the error, then the status in the trailers.
  call.abort(reason);
  try {
    if (reason instanceof ConnectError) {
      setTrailerStatus(call.responseTrailer, reason);
    } else if (reason !== undefined) {
      setTrailerStatus(call.responseTrailer, new ConnectError("internal error", Code.Internal, undefined, undefined, reason));
    }
  } catch {
    // A status that cannot be put in trailers (a message with a lone surrogate fails
    // encodeURIComponent): the call cannot be answered; reset it rather than crash.
    exchange.wire.abandon();
    exchange.onEnd(call);
    return;
  }
  if (exchange.web) {
    // connect's first chunk is the trailers envelope: the headers leave with it, after the abort.
    respondWeb(exchange, undefined, undefined);
    return;
  }
  exchange.wire.respondWithoutMessage(
    nodeHeadersOf(200, exchange.baseHeaders, call.responseHeaderOrInit()),
    nodeTrailersOf(call.responseTrailerOrInit()),
  );
  exchange.onEnd(call);
}

/**
 * gRPC-Web: HEADERS, then the message envelope (if any) and the trailers envelope in the
 * body, which ends the stream. The trailers are the response trailers as connect
 * serializes them (`name: value\r\n`, in `Headers` order), compressed like a message.
 */
function respondWeb(exchange: GrpcUnaryExchange, frame: Uint8Array | undefined, headers: HeaderSource | undefined): void {
  const { call, compression } = exchange;
  const trailers = trailerSerialize(call.responseTrailer);
  const send = (trailerFrame: Buffer) => {
    exchange.wire.respondWithBody(
      200,
      exchange.baseHeaders,
      headers ?? call.responseHeaderOrInit(),
      frame === undefined ? trailerFrame : Buffer.concat([frame, trailerFrame]),
    );
    exchange.onEnd(call);
  };
  if (compression !== null && trailers.byteLength >= exchange.compressMinBytes && !exchange.wire.gone) {
    compression.compress(trailers).then(
      (compressed) => send(envelope(trailerFlag | compressedFlag, compressed)),
      () => {
        // Where connect's pipeline would fail after sending the message (gzip and brotli
        // do not fail on bytes in memory): the call cannot be finished; reset it.
        exchange.wire.abandon();
        exchange.onEnd(call);
      },
    );
    return;
  }
  send(envelope(trailerFlag, trailers));
}
