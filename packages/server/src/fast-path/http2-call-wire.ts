import type * as http2 from "node:http2";
import { releaseUnreadStream } from "../http/release-unread-request.js";
import type { CallWire } from "./call-wire.js";
import { type HeaderSource, nodeHeadersOf, respondWithBody, respondWithoutMessage, respondWithTrailers } from "./http2-response.js";

/** NGHTTP2_INTERNAL_ERROR */
const INTERNAL_ERROR = 2;

/** A fast-path call's wire on a raw HTTP/2 stream (see http2-response.ts for how answers are written). */
class Http2CallWire implements CallWire {
  readonly carriesTrailers = true;
  constructor(private readonly stream: http2.ServerHttp2Stream) {}

  onData(listener: (chunk: Buffer) => void): void {
    this.stream.on("data", listener);
  }
  onEnd(listener: () => void): void {
    this.stream.on("end", listener);
  }
  get gone(): boolean {
    return this.stream.destroyed;
  }
  respondWithBody(status: number, base: Readonly<http2.OutgoingHttpHeaders>, headers: HeaderSource, body: Uint8Array): void {
    respondWithBody(this.stream, nodeHeadersOf(status, base, headers), body);
  }
  respondWithTrailers(headers: http2.OutgoingHttpHeaders, body: Uint8Array | undefined, trailers: http2.OutgoingHttpHeaders): void {
    respondWithTrailers(this.stream, headers, body, trailers);
  }
  respondWithoutMessage(headers: http2.OutgoingHttpHeaders, trailers: http2.OutgoingHttpHeaders): void {
    respondWithoutMessage(this.stream, headers, trailers);
  }
  abandon(): void {
    if (!this.stream.destroyed) this.stream.close(INTERNAL_ERROR);
  }
  releaseUnread(): void {
    releaseUnreadStream(this.stream);
  }
}

/** The wire of a fast-path call on a raw HTTP/2 stream. */
export function createHttp2CallWire(stream: http2.ServerHttp2Stream): CallWire {
  return new Http2CallWire(stream);
}
