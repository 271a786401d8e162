import * as http2 from "node:http2";

/**
 * Makes the response headers of an HTTP/2 stream answered through Node's compatibility API
 * (`res.setHeader`, `res.writeHead`) send `names` as HPACK literals that are never indexed,
 * as the fast path does with `http2.sensitiveHeaders`. The compatibility API has no way to
 * say so (`setHeader` takes string names only), so the stream's `respond` — which it calls
 * once, with the final headers — adds the marker.
 */
export function neverIndexHeaders(stream: http2.ServerHttp2Stream, names: readonly string[]): void {
  const respond = stream.respond;
  stream.respond = function respondNeverIndexed(this: http2.ServerHttp2Stream, headers, options) {
    respond.call(this, { ...headers, [http2.sensitiveHeaders]: names }, options);
  };
}
