import type * as http2 from "node:http2";
import type { Readable } from "node:stream";

/** How long an answered call's unread request may keep sending before its stream or connection is closed. */
export const UNREAD_REQUEST_GRACE_MS = 1_000;

/** NGHTTP2_NO_ERROR: "the server does not need the rest of the request" (gRPC over HTTP/2, RST_STREAM). */
const NO_ERROR = 0;

/**
 * Lets go of a request whose call has been answered before the client finished sending it
 * (a message over the limit, an error raised mid-upload). The rest is read and dropped, so a
 * client that finishes its upload before reading gets the answer and flow control never
 * stalls it. With `cutOff`, a client still sending after {@link UNREAD_REQUEST_GRACE_MS} is
 * cut off (HTTP/2: RST_STREAM(NO_ERROR) after the response, as the gRPC spec allows). Call
 * it once the response has been written.
 */
export function releaseUnreadRequest(request: Readable, cutOff?: () => void): void {
  if (request.readableEnded || request.destroyed) return;
  if (cutOff !== undefined) {
    const timer = setTimeout(cutOff, UNREAD_REQUEST_GRACE_MS);
    timer.unref();
    const done = () => clearTimeout(timer);
    request.once("end", done);
    request.once("close", done);
  }
  // Readers that gave up leave listeners: 'readable' ones (an async iterator) keep the
  // stream from flowing, 'data' ones may pause it again (the HTTP/2 compatibility API's
  // feed of a request object that is gone). The call is answered; nobody reads any more.
  request.removeAllListeners("readable");
  request.removeAllListeners("data");
  request.resume();
}

/** {@link releaseUnreadRequest} for a raw HTTP/2 stream. */
export function releaseUnreadStream(stream: http2.ServerHttp2Stream): void {
  releaseUnreadRequest(stream, () => {
    if (!stream.destroyed) stream.close(NO_ERROR);
  });
}
