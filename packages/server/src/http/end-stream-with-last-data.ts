import type * as http2 from "node:http2";

/**
 * Makes an HTTP/2 response without trailers, answered through Node's compatibility API,
 * end its stream on its last DATA frame (END_STREAM set there) rather than on an empty DATA
 * frame sent a turn later. Call it for Connect and gRPC-Web responses (neither protocol
 * uses HTTP trailers), before the response's headers go out.
 *
 * Why: the compatibility API always responds with `waitForTrailers`, so the end of a
 * response leaves in a separate frame, after the last message has reached the client. A
 * client that reads the answer while still uploading a request it declared a
 * `content-length` for (an early answer, e.g. a message over the size limit) then stops
 * its upload short with END_STREAM, and nghttp2 resets the stream with PROTOCOL_ERROR (a
 * body shorter than its content-length is malformed, RFC 9113 §8.1.1) before the server's
 * own END_STREAM is out: the client loses the answer it had read. With END_STREAM on the
 * last DATA frame, the response is complete as soon as it is read.
 *
 * How: the stream's `respond`, which the compatibility API calls once, drops
 * `waitForTrailers`; the API then ends the stream at `res.end()`, in the turn of the last
 * write.
 */
export function endStreamWithLastData(stream: http2.ServerHttp2Stream): void {
  const respond = stream.respond;
  stream.respond = function respondWithoutTrailers(this: http2.ServerHttp2Stream, headers, options) {
    respond.call(this, headers, options === undefined ? options : { ...options, waitForTrailers: false });
  };
}
