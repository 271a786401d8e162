import type * as http2 from "node:http2";
import type { HeaderSource } from "./http2-response.js";

/**
 * The wire side of one unary call on the fast path: a raw HTTP/2 stream
 * ({@link createHttp2CallWire}) or a `node:http` request and response
 * ({@link createHttp1CallWire}). The protocol code (`serveConnectUnary`, `serveGrpcUnary`)
 * reads the request body and writes the answer through it, so both HTTP versions answer
 * with the same logic; what differs per version (frames, trailers, keep-alive, closing)
 * stays here.
 */
export interface CallWire {
  /** Listens to the request body's chunks. */
  onData(listener: (chunk: Buffer) => void): void;
  /** Listens to the end of the request body. */
  onEnd(listener: () => void): void;
  /** Whether the client is gone: nothing written would reach it. */
  readonly gone: boolean;
  /**
   * Writes a whole answer without HTTP trailers (Connect unary, gRPC-Web): the status, the
   * base headers overridden by the call's `headers` (as connect-node's `writeHead` of
   * `webHeaderToNodeHeaders(headers)` after `setHeader` of the base), and the body. Does
   * nothing when the client is gone.
   */
  respondWithBody(status: number, base: Readonly<http2.OutgoingHttpHeaders>, headers: HeaderSource, body: Uint8Array): void;
  /**
   * Writes a gRPC answer with HTTP trailers; `headers` and `trailers` are Node headers.
   * Only HTTP/2 wires carry gRPC (see {@link CallWire.carriesTrailers}).
   */
  respondWithTrailers(headers: http2.OutgoingHttpHeaders, body: Uint8Array | undefined, trailers: http2.OutgoingHttpHeaders): void;
  /** Writes a gRPC answer without a message (Trailers-Only when it may). Only HTTP/2 wires. */
  respondWithoutMessage(headers: http2.OutgoingHttpHeaders, trailers: http2.OutgoingHttpHeaders): void;
  /** Whether {@link respondWithTrailers} and {@link respondWithoutMessage} work on this wire. */
  readonly carriesTrailers: boolean;
  /** Gives up on a call that cannot be answered: the client must not wait for an answer. */
  abandon(): void;
  /**
   * Lets go of the rest of a request answered before it was read to its end (read and
   * dropped, so the client gets the answer; see `releaseUnreadRequest`). Call it once the
   * answer is written or on its way.
   */
  releaseUnread(): void;
}
