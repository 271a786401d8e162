import type * as http2 from "node:http2";

type StreamListener = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, flags: number, rawHeaders: string[]) => void;

/**
 * Puts `serve` in front of a `node:http2` server's compatibility API: each new stream goes
 * to `serve` first, and only the streams it declines (returns false for) reach the
 * server's 'request' listeners — as `Http2ServerRequest` / `Http2ServerResponse`, exactly
 * as before.
 *
 * How: Node implements the compatibility API as one 'stream' listener on the server
 * (`onServerStream`), which it installs when the first 'request' listener is added (at
 * `createServer(options, handler)`). This takes the 'stream' listeners the server has —
 * that one — off the server and calls them only for declined streams. Only public
 * `EventEmitter` calls are used; it works the same on Node 20 and 24 (tested on both).
 *
 * Call it once, after the server has its 'request' listener. 'stream' listeners added
 * later see every stream, taken or not.
 */
export function routeHttp2Streams(
  server: http2.Http2Server | http2.Http2SecureServer,
  serve: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => boolean,
): void {
  const fallbacks = server.listeners("stream") as StreamListener[];
  if (server.listenerCount("request") === 0 || fallbacks.length === 0) {
    throw new Error("routeHttp2Streams: the server has no 'request' listener yet");
  }
  server.removeAllListeners("stream");
  server.on("stream", function (this: unknown, stream, headers, flags, rawHeaders) {
    if (serve(stream, headers)) return;
    for (const fallback of fallbacks) fallback.call(this, stream, headers, flags, rawHeaders);
  } as StreamListener);
}
