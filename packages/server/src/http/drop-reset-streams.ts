import type * as http2 from "node:http2";

type StreamListener = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, flags: number, rawHeaders: string[]) => void;

/**
 * Keeps HTTP/2 streams that the client resets at once from reaching the server's 'stream'
 * listeners (the fast path, connect's handler): no handler runs, nothing is parsed, no
 * call-log line or metric is written for a call that no longer exists. This is the cost
 * side of the "rapid reset" attack (CVE-2023-44487: HEADERS followed at once by
 * RST_STREAM, over and over); the connection manager's stream-reset budget closes
 * connections that keep doing it.
 *
 * How: Node emits 'stream' while it parses the HEADERS frame, before the RST_STREAM right
 * behind it in the same read, and it runs the next-tick queue between frames. So new
 * streams wait in a queue that one `setImmediate` per event-loop turn hands on, after the
 * turn's reads have been parsed; by then a stream reset in the same read is closed and is
 * dropped. A request's DATA that arrives meanwhile waits in the stream's buffer; a no-op
 * 'error' listener is added to each stream first, since Node may emit a stream error
 * (a reset with an error code) before the stream's real listeners are there. A request
 * that ended with an empty DATA frame has emitted its readable side's 'end' by then (Node
 * ends such a stream at once, listener or not): it is emitted again once the listeners are
 * there, else its handler would wait for it forever.
 *
 * Call it once, after every other 'stream' listener is installed (after
 * `routeHttp2Streams`); it wraps the listeners the server has by then.
 */
export function dropResetStreams(
  server: http2.Http2Server | http2.Http2SecureServer,
  onDropped: (stream: http2.ServerHttp2Stream) => void = () => {},
): void {
  const listeners = server.listeners("stream") as StreamListener[];
  server.removeAllListeners("stream");
  // Flat: stream, headers, flags, rawHeaders, the server (`this`), for each waiting stream.
  let waiting: unknown[] = [];
  const dispatch = () => {
    const batch = waiting;
    waiting = [];
    for (let i = 0; i < batch.length; i += 5) {
      const stream = batch[i] as http2.ServerHttp2Stream;
      if (stream.closed || stream.destroyed) {
        onDropped(stream);
        continue;
      }
      const headers = batch[i + 1] as http2.IncomingHttpHeaders;
      const flags = batch[i + 2] as number;
      const rawHeaders = batch[i + 3] as string[];
      const endedEarly = stream.readableEnded;
      for (const listener of listeners) listener.call(batch[i + 4], stream, headers, flags, rawHeaders);
      if (endedEarly && !stream.destroyed) stream.emit("end");
    }
  };
  server.on("stream", function (this: unknown, stream, headers, flags, rawHeaders) {
    stream.on("error", ignore);
    if (waiting.length === 0) setImmediate(dispatch);
    waiting.push(stream, headers, flags, rawHeaders, this);
  } as StreamListener);
}

function ignore(): void {}
