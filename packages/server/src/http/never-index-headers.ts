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
    // Raw header arrays (Node 24) and absent headers go through as they are.
    if (headers === undefined || headers === null || Array.isArray(headers)) {
      respond.call(this, headers, options);
      return;
    }
    const already = (headers as Record<symbol, readonly string[] | undefined>)[http2.sensitiveHeaders] ?? [];
    respond.call(this, { ...headers, [http2.sensitiveHeaders]: [...already, ...names] }, options);
  };
}
