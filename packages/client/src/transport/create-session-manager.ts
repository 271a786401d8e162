import * as http2 from "node:http2";
import { Http2SessionManager, type Http2SessionOptions } from "@connectrpc/connect-node";

const { NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR } = http2.constants;

/**
 * Creates connect's `Http2SessionManager` for `baseUrl`, whose streams end a cancelled or
 * failed call with RST_STREAM alone.
 *
 * connect ends such a call with Node's `stream.close(code)`, which first ends the request
 * body (END_STREAM) and only then resets the stream: a server that reads the end before the
 * reset takes a cancelled client or bidi stream as complete and may answer it with OK.
 * gRPC's cancellation is RST_STREAM(CANCEL) with nothing before it
 * ([PROTOCOL-HTTP2.md](https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md#errors)),
 * which is what Node sends when a stream's own `signal` aborts, or when it is destroyed
 * with an error (INTERNAL_ERROR). So each stream gets a signal, and `close` with CANCEL or
 * INTERNAL_ERROR on a stream whose request body is still open resets it that way instead.
 * Any other `close` is Node's own. Should a connect release stop calling `close`, calls
 * fall back to Node's order, nothing worse; the override can go once connect-node destroys
 * streams instead of closing them (connect-es `node-universal-client.ts`, `h2Request`).
 */
export function createSessionManager(
  baseUrl: string,
  options: Http2SessionOptions,
  sessionOptions?: http2.SecureClientSessionOptions,
): Http2SessionManager {
  return new ResettingSessionManager(baseUrl, options, sessionOptions);
}

class ResettingSessionManager extends Http2SessionManager {
  override async request(
    method: string,
    path: string,
    headers: http2.OutgoingHttpHeaders,
    options: Omit<http2.ClientSessionRequestOptions, "signal">,
  ): Promise<http2.ClientHttp2Stream> {
    const cancel = new AbortController();
    // connect's type leaves `signal` out because connect never passes one; Node takes it.
    const withSignal = { ...options, signal: cancel.signal } as typeof options;
    const stream = await super.request(method, path, headers, withSignal);
    const close = stream.close.bind(stream);
    stream.close = (code?: number, callback?: () => void) => {
      if (stream.writableEnded || stream.closed || (code !== NGHTTP2_CANCEL && code !== NGHTTP2_INTERNAL_ERROR)) {
        close(code, callback);
        return;
      }
      if (callback !== undefined) stream.once("close", callback);
      if (code === NGHTTP2_CANCEL) {
        cancel.abort();
      } else {
        stream.destroy(new Error("the call failed while sending its request"));
      }
    };
    return stream;
  }
}
