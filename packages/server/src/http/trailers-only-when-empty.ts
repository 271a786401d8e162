import type * as http2 from "node:http2";
import { REQUEST_ID_HEADER } from "../request-id.js";

/**
 * The response headers a gRPC answer carries whatever its handler does: the protocol's own
 * and the server's request id. A handler's own headers are not among them.
 */
const SERVER_HEADERS = new Set([":status", "content-type", "grpc-encoding", "grpc-accept-encoding", "date", REQUEST_ID_HEADER]);

/**
 * Whether a gRPC answer without a message may take the Trailers-Only form: only when its
 * headers are the server's own. Headers a handler set must reach the client as headers
 * (clients such as grpc-go read a Trailers-Only response's metadata as trailers only), so
 * such an answer keeps HEADERS followed by the trailers.
 */
export function mayAnswerTrailersOnly(headers: http2.OutgoingHttpHeaders): boolean {
  for (const name in headers) if (!SERVER_HEADERS.has(name)) return false;
  return true;
}

/**
 * Makes a gRPC response over HTTP/2, answered through Node's compatibility API, leave as
 * one Trailers-Only HEADERS frame (status and trailers, END_STREAM) when it carries no
 * message — an error before the first message, or an empty stream — and no header of the
 * handler's own ({@link mayAnswerTrailersOnly}), instead of HEADERS followed by the
 * trailers in a later frame. Call it for gRPC requests, before the response's headers go out.
 *
 * Why: gRPC's Trailers-Only form (PROTOCOL-HTTP2.md, "Responses"), which grpc-go sends in
 * this case. With two frames, a client that reads the early answer while still uploading a
 * request it declared a length for ends its upload short, and nghttp2 resets the stream
 * with PROTOCOL_ERROR before the trailers leave: the client loses the status. The fast path
 * answers the same way (`respondTrailersOnly`), so both paths stay byte for byte alike.
 *
 * How, with public methods only: the compatibility API calls the stream's `respond` with
 * `waitForTrailers` (once per `writeHead`), writes messages with `write`, takes trailers in
 * `res.addTrailers` and ends with `end`. The headers are held back until the first write;
 * an `end` with nothing written sends headers and trailers together. A response that does
 * not ask for trailers goes out unchanged.
 */
export function trailersOnlyWhenEmpty(res: http2.Http2ServerResponse): void {
  const stream = res.stream;
  const respond = stream.respond;
  const write = stream.write;
  const end = stream.end;
  const addTrailers = res.addTrailers;
  let held: [http2.OutgoingHttpHeaders | undefined, http2.ServerStreamResponseOptions | undefined] | undefined;
  let sent = false;
  let trailers: http2.OutgoingHttpHeaders | undefined;
  const flush = () => {
    if (held === undefined) return;
    const [headers, options] = held;
    held = undefined;
    sent = true;
    respond.call(stream, headers, options);
  };
  stream.respond = function respondWhenKnown(this: http2.ServerHttp2Stream, headers, options) {
    // The compatibility API asks again while `headersSent` is false (from `end`, with
    // `endStream`): the latest headers win, the first ask's options stay, as they would have
    // gone out with the first ask.
    if (!sent && options?.waitForTrailers === true && headers !== undefined && !Array.isArray(headers)) {
      held = [headers, held?.[1] ?? options];
      return;
    }
    flush();
    respond.call(this, headers, options);
  };
  stream.write = function writeAfterHeaders(this: http2.ServerHttp2Stream, ...args: unknown[]) {
    flush();
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as typeof stream.write;
  stream.end = function endTrailersOnly(this: http2.ServerHttp2Stream, ...args: unknown[]) {
    if (
      held !== undefined &&
      trailers !== undefined &&
      (args.length === 0 || typeof args[0] === "function") &&
      held[0] !== undefined &&
      mayAnswerTrailersOnly(held[0])
    ) {
      const [headers] = held;
      held = undefined;
      sent = true;
      respond.call(stream, { ...headers, ...trailers }, { endStream: true });
    } else {
      flush();
    }
    return (end as (...a: unknown[]) => http2.ServerHttp2Stream).apply(this, args);
  } as typeof stream.end;
  res.addTrailers = function addTrailersKept(this: http2.Http2ServerResponse, headers) {
    trailers = {};
    for (const name in headers) trailers[name.toLowerCase()] = headers[name];
    addTrailers.call(this, headers);
  };
}
