import type * as http2 from "node:http2";
import type { Compression } from "@connectrpc/connect/protocol";
import type { CallWire } from "./call-wire.js";
import type { FastCall, UnaryCall } from "./unary-call.js";

/**
 * What serving one call on the fast path needs besides the call's protocol and its wire:
 * the call and its method, the server's limits and the negotiated response compression.
 */
export interface ExchangeCommon<Call extends FastCall, Method> {
  readonly call: Call;
  readonly method: Method;
  readonly readMaxBytes: number;
  readonly compressMinBytes: number;
  /** The response compression connect negotiated from the accept header, or null. */
  readonly compression: Compression | null;
  /** Headers the server sets before connect answers (request id, accepted encodings). */
  readonly baseHeaders: Readonly<http2.OutgoingHttpHeaders>;
  /** Called once the response is written or given up on. */
  readonly onEnd: (call: Call) => void;
}

/** A server-streaming exchange: on a raw HTTP/2 stream (the fast path serves streams over HTTP/2 only). */
export interface Exchange<Call extends FastCall, Method> extends ExchangeCommon<Call, Method> {
  readonly stream: http2.ServerHttp2Stream;
}

/**
 * A unary exchange, on either HTTP version: its wire reads the request and writes the
 * answer (each protocol's serve function takes this; Connect unary adds its own fields).
 */
export interface UnaryExchange<Method> extends ExchangeCommon<UnaryCall, Method> {
  readonly wire: CallWire;
}
