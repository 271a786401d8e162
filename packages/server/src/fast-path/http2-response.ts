import type * as http2 from "node:http2";
import { mayAnswerTrailersOnly } from "../http/trailers-only-when-empty.js";
import { CallHeaders } from "./call-headers.js";

/** Response headers or trailers as connect holds them: a `Headers`, or the literal it starts from. */
export type HeaderSource = Headers | Readonly<Record<string, string>>;

/**
 * The headers Node's compatibility API sends for `res.setHeader(…)` calls (`base`) followed
 * by connect-node's `res.writeHead(status, webHeaderToNodeHeaders(headers))`: names in
 * lower case, repeated set-cookie values as an array, and `headers` override `base`.
 */
export function nodeHeadersOf(status: number, base: Readonly<http2.OutgoingHttpHeaders>, headers: HeaderSource): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = { ...base, ":status": status };
  assignHeaders(out, headers);
  // The compatibility API connect-node writes through drops `connection` (with a warning)
  // instead of refusing the response as `respond` would; other connection-specific names
  // fail both ways.
  if (out.connection !== undefined) delete out.connection;
  return out;
}

/** connect-node's `webHeaderToNodeHeaders(headers)`, on its own (trailers). */
export function nodeTrailersOf(trailers: HeaderSource | undefined): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = {};
  if (trailers !== undefined) assignHeaders(out, trailers);
  return out;
}

function assignHeaders(out: http2.OutgoingHttpHeaders, headers: HeaderSource): void {
  if (headers instanceof CallHeaders) {
    headers.copyInto(out);
  } else if (headers instanceof Headers) {
    // `Headers.forEach` joins repeated values into one, except set-cookie, which it yields
    // once per value (the base headers never hold set-cookie, so any value there is ours).
    headers.forEach((value, key) => {
      const existing = key === "set-cookie" ? out[key] : undefined;
      out[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [String(existing), value];
    });
  } else {
    for (const name in headers) out[name.toLowerCase()] = headers[name];
  }
}

/**
 * Writes a gRPC response the way connect-node does through the compatibility API:
 * HEADERS, the body (if any) in DATA, then the trailers in a HEADERS frame that ends the
 * stream. Does nothing when the client is gone (connect's write would fail and be dropped).
 */
export function respondWithTrailers(
  stream: http2.ServerHttp2Stream,
  headers: http2.OutgoingHttpHeaders,
  body: Uint8Array | undefined,
  trailers: http2.OutgoingHttpHeaders,
): void {
  if (stream.destroyed || stream.closed) return;
  try {
    stream.respond(headers, { waitForTrailers: true });
    // Emitted once per stream; `on` spares once()'s wrapper on every call.
    stream.on("wantTrailers", () => sendTrailersOrReset(stream, trailers));
    if (body === undefined) stream.end();
    else stream.end(body);
  } catch {
    // Headers Node refuses to send (a connection-specific name set by a handler): the
    // call cannot be answered; reset it rather than leave the client waiting.
    if (!stream.destroyed) stream.close(INTERNAL_ERROR);
  }
}

/**
 * Writes a gRPC response that carries no message: in the Trailers-Only form — one HEADERS
 * frame with the headers and the trailers, ending the stream — when its headers are the
 * server's own (`mayAnswerTrailersOnly`), else HEADERS then the trailers. Connect's path
 * decides the same way (`trailersOnlyWhenEmpty`). A client still uploading its request then
 * has the whole answer in the frame it reads. Does nothing when the client is gone.
 */
export function respondWithoutMessage(
  stream: http2.ServerHttp2Stream,
  headers: http2.OutgoingHttpHeaders,
  trailers: http2.OutgoingHttpHeaders,
): void {
  if (!mayAnswerTrailersOnly(headers)) {
    respondWithTrailers(stream, headers, undefined, trailers);
    return;
  }
  if (stream.destroyed || stream.closed) return;
  try {
    stream.respond({ ...headers, ...trailers }, { endStream: true });
  } catch {
    if (!stream.destroyed) stream.close(INTERNAL_ERROR);
  }
}

/**
 * Writes a response without trailers (Connect unary, gRPC-Web): HEADERS, the body in DATA,
 * then an empty DATA frame that ends the stream.
 *
 * Not `end(body)`: when the client has already ended its side, nghttp2 closes the stream
 * as soon as the last DATA frame is out, before Node runs the write's callback, and
 * Writable's `errorBuffer` then builds an `ERR_STREAM_DESTROYED` (stack trace and all) for
 * a stream that is simply done — measured at ~27 % of a minimal `node:http2` server's CPU
 * on Node 24 (and on Node 20). Ending the stream from the write's callback costs one
 * 9-byte frame and none of that.
 */
export function respondWithBody(stream: http2.ServerHttp2Stream, headers: http2.OutgoingHttpHeaders, body: Uint8Array): void {
  if (stream.destroyed || stream.closed) return;
  try {
    stream.respond(headers);
    stream.write(body, () => {
      // After a reset the stream is destroyed and end() is a no-op.
      if (!stream.destroyed) stream.end();
    });
  } catch {
    if (!stream.destroyed) stream.close(INTERNAL_ERROR);
  }
}

/**
 * Sends the trailers, or resets the stream when Node refuses them (a connection-specific
 * name set by a handler): it runs in an event listener, where a throw would crash the
 * process.
 */
export function sendTrailersOrReset(stream: http2.ServerHttp2Stream, trailers: http2.OutgoingHttpHeaders): void {
  if (stream.destroyed) return;
  try {
    stream.sendTrailers(trailers);
  } catch {
    if (!stream.destroyed) stream.close(INTERNAL_ERROR);
  }
}

/** NGHTTP2_INTERNAL_ERROR */
const INTERNAL_ERROR = 2;
