import * as http2 from "node:http2";
import { Http2SessionManager, type Http2SessionOptions } from "@connectrpc/connect-node";

const { NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR, NGHTTP2_NO_ERROR } = http2.constants;

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
 *
 * Its streams also release a request write the server will never take: see
 * {@link releaseWritesOnAbort}.
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
    releaseWritesOnAbort(stream);
    cancels.set(stream, cancel);
    stream.close = resettingClose;
    return stream;
  }
}

/**
 * Fails the stream's pending writes when the server closes the stream without an error
 * (RST_STREAM NO_ERROR) while the request body is still open, as a write after the end.
 *
 * A server may answer a request it refuses (a message over its limit, say) without reading
 * it, then reset the stream with NO_ERROR (gRPC servers do). Node then ends the writable
 * side but never completes the write in flight, which waits for flow-control window that
 * will not come; it also keeps the stream until its response is read. A caller that reads
 * only after sending everything (a half-duplex bidi stream) waits for ever. connect takes a
 * write failing with `ERR_STREAM_WRITE_AFTER_END` on an ended stream as "the server has
 * answered": it ends the request stream with the error and leaves the response, whose
 * status the caller then reads.
 */
function releaseWritesOnAbort(stream: http2.ClientHttp2Stream): void {
  stream.write = releasableWrite as typeof stream.write;
  stream.once("aborted", onServerAbort);
}

// The overrides are shared functions over per-stream state kept in weak maps, not closures
// made for each stream: a client keeps them for every open stream (issue #17 memory).

/** The controller whose signal Node watches for each stream: aborting it resets the stream with CANCEL alone. */
const cancels = new WeakMap<http2.ClientHttp2Stream, AbortController>();

/** The write callbacks still pending on a stream, made on its first write with a callback. */
const pendingWrites = new WeakMap<http2.ClientHttp2Stream, Set<(error: Error) => void>>();

/** Node's own `close` and `write` of a stream, which the overrides below shadow. */
function inherited(stream: http2.ClientHttp2Stream): http2.ClientHttp2Stream {
  return Object.getPrototypeOf(stream) as http2.ClientHttp2Stream;
}

function resettingClose(this: http2.ClientHttp2Stream, code?: number, callback?: () => void): void {
  if (this.writableEnded || this.closed || (code !== NGHTTP2_CANCEL && code !== NGHTTP2_INTERNAL_ERROR)) {
    inherited(this).close.call(this, code, callback);
    return;
  }
  if (callback !== undefined) this.once("close", callback);
  if (code === NGHTTP2_CANCEL) {
    cancels.get(this)?.abort();
  } else {
    this.destroy(new Error("the call failed while sending its request"));
  }
}

function releasableWrite(this: http2.ClientHttp2Stream, ...args: unknown[]): boolean {
  const write = inherited(this).write as (...args: unknown[]) => boolean;
  const callback = args.at(-1);
  if (typeof callback !== "function") return write.apply(this, args);
  let pending = pendingWrites.get(this);
  if (pending === undefined) {
    pending = new Set();
    pendingWrites.set(this, pending);
  }
  const writes = pending;
  let done = false;
  const once = (error?: Error | null) => {
    if (done) return;
    done = true;
    writes.delete(once);
    (callback as (error?: Error | null) => void)(error);
  };
  writes.add(once);
  return write.apply(this, [...args.slice(0, -1), once]);
}

function onServerAbort(this: http2.ClientHttp2Stream): void {
  // Only a close by the server without an error: a cancelled or failed stream is reset
  // with a code, and its call already has its error.
  if (this.rstCode !== NGHTTP2_NO_ERROR) return;
  // Node emits `aborted` just before it ends the writable side: fail the writes after that,
  // so that connect sees an ended stream.
  process.nextTick(failPendingWrites, this);
}

function failPendingWrites(stream: http2.ClientHttp2Stream): void {
  const pending = pendingWrites.get(stream);
  if (pending === undefined) return;
  const error = Object.assign(new Error("the server closed the stream before taking the request"), {
    code: "ERR_STREAM_WRITE_AFTER_END",
  });
  for (const fail of [...pending]) fail(error);
}
