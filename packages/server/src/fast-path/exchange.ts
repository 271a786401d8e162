import type * as http2 from "node:http2";
import type { Compression } from "@connectrpc/connect/protocol";
import type { FastCall } from "./unary-call.js";

/**
 * What serving one call on the fast path needs besides the call's protocol: the stream,
 * the call and its method, the server's limits and the negotiated response compression.
 * Each protocol's serve function takes this (Connect unary adds its own fields).
 */
export interface Exchange<Call extends FastCall, Method> {
  readonly stream: http2.ServerHttp2Stream;
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
