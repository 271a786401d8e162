import * as http2 from "node:http2";
import {
  type BinaryReadOptions,
  type BinaryWriteOptions,
  create,
  type DescMessage,
  type DescMethodStreaming,
  type DescMethodUnary,
  fromBinary,
  isMessage,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ContextValues,
  createContextValues,
  type Interceptor,
  type StreamRequest,
  type StreamResponse,
  type Transport,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import type { Http2SessionManager } from "@connectrpc/connect-node";
import { grpcStatusError, hasGrpcStatus } from "./grpc-status-error.js";
import { lazyHeaders } from "./lazy-headers.js";

/** What the transport needs of a compression (connect-node's `compressionGzip` and `compressionBrotli` fit). */
export interface GrpcCompression {
  readonly name: string;
  compress(bytes: Uint8Array): Promise<Uint8Array>;
  decompress(bytes: Uint8Array, readMaxBytes: number): Promise<Uint8Array>;
}

/** Options of {@link createGrpcHttp2Transport}: connect's gRPC transport options it honours. */
export interface GrpcHttp2TransportOptions {
  /** Server base URL; calls go to `<baseUrl>/<package.Service>/<Method>`. */
  baseUrl: string;
  /**
   * The HTTP/2 connection; calls are streams of its session. Client and bidi streams close
   * their streams with `close(code)` while the request body may still be open: give them a
   * manager that resets such a stream without ending it first (`createSessionManager`).
   */
  sessionManager: Pick<Http2SessionManager, "authority" | "request" | "notifyResponseByteRead">;
  /** Opens the streams of unary and server-streaming calls, whose request body ends as they open; default `sessionManager.request`. */
  requestEndedBody?: Http2SessionManager["request"];
  /** Run around every call, first outermost, as connect runs them. */
  interceptors?: readonly Interceptor[];
  /** Deadline of calls that do not set one; undefined or 0: none. */
  defaultTimeoutMs?: number;
  /** Response encodings to accept, in order of preference. */
  acceptCompression?: readonly GrpcCompression[];
  /** Compress request messages with this encoding … */
  sendCompression?: GrpcCompression;
  /** … when they have at least this many bytes. Default 1024. */
  compressMinBytes?: number;
  /** Largest response message read, after decompression. Default 4 GiB − 1. */
  readMaxBytes?: number;
  binaryOptions?: Partial<BinaryReadOptions & BinaryWriteOptions>;
  /** @deprecated Not used: client and bidi streams go to the session too. */
  streams?: Transport;
}

type Next = Parameters<Interceptor>[0];

const { HTTP2_HEADER_STATUS, NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR } = http2.constants;
const MAX_READ_MAX_BYTES = 0xffffffff;
const DEFAULT_COMPRESS_MIN_BYTES = 1024;
/** The user agent connect's gRPC transport sends, so that servers see one client whichever path a call takes. */
const USER_AGENT = "connect-es/2.2.0";
/** connect's pattern for a gRPC response content type (`application/grpc`, `+proto`, `+json`). */
const GRPC_CONTENT_TYPE = /^application\/grpc(?:\+(?:(json)(?:; ?charset=utf-?8)?|proto))?$/i;
/** Why a finished call's signal aborts: the call is over (connect aborts it too, without a reason). */
const CALL_ENDED = Object.freeze(new ConnectError("the call has ended", Code.Canceled));

/**
 * Creates a connect `Transport` whose calls speak gRPC directly on `node:http2` streams of
 * `sessionManager`'s connection. A unary call is one request frame written at once and one
 * response read whole; a stream's messages are split from the bytes as they arrive and
 * parsed as they are read; client and bidi streams write each request message as it comes,
 * waiting for `drain` when the stream's buffer is full, and end the request body when the
 * messages end. None needs the async-iterable pipeline connect runs for every call. The protocol is the same —
 * headers, deadline, compression, size limits, trailers-only errors,
 * `grpc-status-details-bin`, RST_STREAM codes — and so are the interceptors, the requests
 * and responses they see, and the errors callers get (the same codes and messages as
 * connect's transport: see its tests).
 *
 * @example
 * const sessionManager = createSessionManager(baseUrl, {});
 * const transport = createGrpcHttp2Transport({ baseUrl, sessionManager, interceptors });
 */
export function createGrpcHttp2Transport(options: GrpcHttp2TransportOptions): Transport {
  const baseUrl = options.baseUrl.replace(/\/$/, "");
  const interceptors = options.interceptors ?? [];
  const accept = options.acceptCompression ?? [];
  const acceptHeader = accept.map((c) => c.name).join(",");
  const send = options.sendCompression;
  const compressMinBytes = options.compressMinBytes ?? DEFAULT_COMPRESS_MIN_BYTES;
  const readMaxBytes = options.readMaxBytes ?? MAX_READ_MAX_BYTES;
  const manager = options.sessionManager;
  const ended: GrpcHttp2TransportOptions["sessionManager"] =
    options.requestEndedBody === undefined ? manager : { ...pick(manager), request: options.requestEndedBody };
  const origin = new URL(baseUrl).origin;
  const sendCall = (req: UnaryRequest): Promise<UnaryResponse> => {
    const path = pathOf(req.url, baseUrl, origin, manager.authority);
    if (path instanceof ConnectError) return Promise.reject(path);
    return exchange(req, path);
  };

  const sendStream = async (req: StreamRequest): Promise<StreamResponse> => {
    const path = pathOf(req.url, baseUrl, origin, manager.authority);
    if (path instanceof ConnectError) throw path;
    let opened: OpenedStream;
    // A client or bidi stream's request body fails the opening until the headers arrive, then the messages.
    let failOpen: ((reason: unknown) => void) | undefined;
    let messages: ResponseMessages<MessageShape<DescMessage>> | undefined;
    let requestError: ConnectError | undefined;
    if (req.method.methodKind === "server_streaming") {
      const frames: Buffer[] = [];
      for await (const message of req.message) frames.push(await frameOf(req.method.input, message));
      opened = await openStream(ended, path, nodeHeadersOf(req.header), Buffer.concat(frames), req.signal);
    } else {
      const failRequest = (reason: unknown) => {
        const error = reason instanceof ConnectError ? reason : connectErrorFromNodeReason(reason);
        requestError ??= error;
        if (messages !== undefined) messages.failWith(error);
        else failOpen?.(error);
      };
      const closedEarly = "the stream closed before the response headers";
      // Made here, not in the opening callback: the writer keeps it for the whole call, and a
      // closure made there would keep the opening's closures (its resolve, fail, listeners) too.
      const frameMessage = (m: MessageShape<DescMessage>) => frameOf(req.method.input, m);
      opened = await requestStream<OpenedStream>(
        manager,
        path,
        nodeHeadersOf(req.header),
        undefined,
        req.signal,
        closedEarly,
        (s, resolve, fail) => {
          failOpen = fail;
          s.once("response", (h) => {
            s.pause();
            resolve({ status: Number(h[HTTP2_HEADER_STATUS] ?? 0), headers: h, stream: s });
          });
          void writeRequest(s, req.message, frameMessage, req.signal, failRequest);
        },
      );
      // The opening has settled (a later fail is a no-op): let its closures go with it.
      failOpen = undefined;
    }
    const plain = isPlainGrpcHeaders(opened.status, opened.headers);
    const header = plain ? lazyHeaders(opened.headers) : webHeadersOf(opened.headers);
    let validated: ReturnType<typeof validateResponse>;
    try {
      validated = plain ? { compression: undefined, headerError: undefined } : validateResponse(opened.status, header, accept);
    } catch (e) {
      opened.stream.close(NGHTTP2_CANCEL);
      throw e;
    }
    const { compression, headerError } = validated;
    if (headerError !== undefined) {
      opened.stream.close(NGHTTP2_CANCEL);
      throw headerError;
    }
    const trailer = new Headers();
    messages = new ResponseMessages(opened.stream, manager, req.signal, {
      foundStatus: !plain && hasGrpcStatus(header),
      header,
      trailer,
      parse(data) {
        try {
          return fromBinary(req.method.output, data, options.binaryOptions);
        } catch (e) {
          throw new ConnectError(`parse binary: ${e instanceof Error ? e.message : String(e)}`, Code.Internal);
        }
      },
      decompress(data) {
        if (compression === undefined) {
          throw new ConnectError("received compressed envelope, but do not know how to decompress", Code.Internal);
        }
        return compression.decompress(data, readMaxBytes);
      },
      readMaxBytes,
    });
    if (requestError !== undefined) messages.failWith(requestError);
    return { ...req, header, trailer, message: messages } as unknown as StreamResponse;
  };

  /** One request message, serialised, compressed when large enough, and enveloped (at once when not compressed). */
  function frameOf(schema: DescMessage, message: MessageShape<DescMessage>): Buffer | Promise<Buffer> {
    const body = toBinary(schema, message, options.binaryOptions);
    if (send !== undefined && body.byteLength >= compressMinBytes) return send.compress(body).then((c) => envelope(c, 1));
    return envelope(body, 0);
  }

  function envelope(body: Uint8Array, flags: number): Buffer {
    const frame = Buffer.allocUnsafe(5 + body.byteLength);
    frame[0] = flags;
    frame.writeUInt32BE(body.byteLength, 1);
    frame.set(body, 5);
    return frame;
  }

  function exchange(req: UnaryRequest, path: string): Promise<UnaryResponse> {
    const frame = frameOf(req.method.input, req.message);
    // A compressed message comes as a promise (of any realm: test for the buffer).
    const reply = Buffer.isBuffer(frame)
      ? roundTrip(ended, path, nodeHeadersOf(req.header), frame, req.signal)
      : frame.then((f) => roundTrip(ended, path, nodeHeadersOf(req.header), f, req.signal));
    return reply.then((r) => answerOf(req, r));
  }

  /**
   * The response of a unary call. The common answer — HTTP 200, a gRPC content type, no
   * encoding, one uncompressed message and OK in the trailers — is checked on Node's
   * headers and its `Headers` are filled only when read; any other goes through
   * {@link checkedAnswerOf}.
   */
  function answerOf(req: UnaryRequest, reply: RawReply): UnaryResponse | Promise<UnaryResponse> {
    const { headers, trailers } = reply;
    if (
      isPlainGrpcHeaders(reply.status, headers) &&
      trailers !== undefined &&
      trailers["grpc-status"] === "0" &&
      trailers["grpc-status-details-bin"] === undefined
    ) {
      const envelope = splitEnvelope(reply.body, readMaxBytes);
      if (envelope !== undefined && (envelope.flags & 1) === 0) {
        let message: MessageShape<DescMessage>;
        try {
          message = fromBinary(req.method.output, envelope.data, options.binaryOptions);
        } catch (e) {
          throw new ConnectError(`parse binary: ${e instanceof Error ? e.message : String(e)}`, Code.Internal);
        }
        return {
          stream: false,
          service: req.service,
          method: req.method,
          header: lazyHeaders(headers),
          message,
          trailer: lazyHeaders(trailers),
        };
      }
    }
    return checkedAnswerOf(req, reply);
  }

  async function checkedAnswerOf(req: UnaryRequest, reply: RawReply): Promise<UnaryResponse> {
    const header = webHeadersOf(reply.headers);
    const { compression, headerError } = validateResponse(reply.status, header, accept);
    const envelope = splitEnvelope(reply.body, readMaxBytes);
    let message: MessageShape<DescMessage> | undefined;
    if (envelope !== undefined) {
      let data = envelope.data;
      if ((envelope.flags & 1) === 1) {
        if (compression === undefined) {
          throw new ConnectError("received compressed envelope, but do not know how to decompress", Code.Internal);
        }
        data = await compression.decompress(data, readMaxBytes);
      }
      try {
        message = fromBinary(req.method.output, data, options.binaryOptions);
      } catch (e) {
        throw new ConnectError(`parse binary: ${e instanceof Error ? e.message : String(e)}`, Code.Internal);
      }
    }
    const trailer = webHeadersOf(reply.trailers);
    const trailerError = grpcStatusError(trailer);
    if (trailerError !== undefined) {
      header.forEach((value, key) => trailerError.metadata.append(key, value));
      throw trailerError;
    }
    if (!hasGrpcStatus(header) && !hasGrpcStatus(trailer)) {
      throw new ConnectError("protocol error: missing status", Code.Internal);
    }
    if (message === undefined) {
      // A trailers-only response: the status is in the headers.
      if (headerError !== undefined) throw headerError;
      throw new ConnectError(
        "protocol error: missing output message for unary method",
        hasGrpcStatus(trailer) ? Code.Unimplemented : Code.Unknown,
      );
    }
    if (headerError !== undefined) {
      throw new ConnectError("protocol error: received output message for unary method with error status", Code.Unknown);
    }
    return { stream: false, service: req.service, method: req.method, header, message, trailer };
  }

  return {
    unary<I extends DescMessage, O extends DescMessage>(
      method: DescMethodUnary<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      input: MessageInitShape<I>,
      contextValues?: ContextValues,
    ): Promise<UnaryResponse<I, O>> {
      const timeout = timeoutMs === undefined ? options.defaultTimeoutMs || undefined : timeoutMs <= 0 ? undefined : timeoutMs;
      const call = new CallSignal(signal, timeout);
      const req: UnaryRequest<I, O> = {
        stream: false,
        service: method.parent,
        method,
        requestMethod: "POST",
        url: `${baseUrl}/${method.parent.typeName}/${method.name}`,
        signal: call.signal,
        header: requestHeader(header, timeout, acceptHeader, send?.name),
        contextValues: contextValues ?? createContextValues(),
        message: isMessage(input, method.input) ? input : create(method.input, input),
      };
      let next = sendCall as unknown as Next;
      // Built per call, as connect does: an interceptor may keep state in its closure.
      for (let i = interceptors.length - 1; i >= 0; i--) next = interceptors[i]!(next);
      return settle(next, req as unknown as UnaryRequest).then(
        (res) => {
          call.end();
          return res as unknown as UnaryResponse<I, O>;
        },
        (reason: unknown) => Promise.reject(call.fail(reason)),
      );
    },
    stream<I extends DescMessage, O extends DescMessage>(
      method: DescMethodStreaming<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      input: AsyncIterable<MessageInitShape<I>>,
      contextValues?: ContextValues,
    ): Promise<StreamResponse<I, O>> {
      const timeout = timeoutMs === undefined ? options.defaultTimeoutMs || undefined : timeoutMs <= 0 ? undefined : timeoutMs;
      const call = new CallSignal(signal, timeout);
      const req: StreamRequest<I, O> = {
        stream: true,
        service: method.parent,
        method,
        requestMethod: "POST",
        url: `${baseUrl}/${method.parent.typeName}/${method.name}`,
        signal: call.signal,
        header: requestHeader(header, timeout, acceptHeader, send?.name),
        contextValues: contextValues ?? createContextValues(),
        message: normalizeMessages(method.input, input),
      };
      if (method.methodKind !== "server_streaming") {
        // As connect's runStreamingCall: once the call is over, the caller's request iterable
        // is told so (a bidi caller's pending and later sends fail with the call's error).
        call.signal.addEventListener(
          "abort",
          () => {
            const it = input[Symbol.asyncIterator]();
            if (!call.ended) it.throw?.(call.signal.reason).catch(ignore);
            it.return?.().catch(ignore);
          },
          { once: true },
        );
      }
      let next = sendStream as unknown as Next;
      for (let i = interceptors.length - 1; i >= 0; i--) next = interceptors[i]!(next);
      return settle(next, req as unknown as StreamRequest).then(
        (res) => ({ ...res, message: endWithCall((res as StreamResponse).message, call) }) as unknown as StreamResponse<I, O>,
        (reason: unknown) => Promise.reject(call.fail(reason)),
      );
    },
  };
}

/** Runs the interceptor chain; one that throws instead of rejecting fails the call the same way. */
function settle<R, T>(next: (req: R) => Promise<T>, req: R): Promise<T> {
  try {
    return next(req);
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * The signal interceptors and the stream see: the caller's, and the deadline's. A class,
 * as every call keeps one until it ends: an object literal with a getter and closures
 * took a dictionary-mode property store and a closure per member for each open stream.
 */
class CallSignal {
  readonly #controller = new AbortController();
  readonly #callerSignal: AbortSignal | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Set only while the caller's signal is listened to. */
  #onCallerAbort: (() => void) | undefined;
  /** The call succeeded: its response was read to the end. */
  ended = false;

  constructor(callerSignal: AbortSignal | undefined, timeoutMs: number | undefined) {
    const controller = this.#controller;
    this.#callerSignal = callerSignal;
    if (callerSignal !== undefined) {
      if (callerSignal.aborted) controller.abort(callerSignal.reason);
      else {
        this.#onCallerAbort = () => controller.abort(callerSignal.reason);
        callerSignal.addEventListener("abort", this.#onCallerAbort, { once: true });
      }
    }
    if (timeoutMs !== undefined && !controller.signal.aborted) this.#timer = setTimeout(expireCall, timeoutMs, controller);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The call succeeded: stop the timer, abort the signal. */
  end(): void {
    this.ended = true;
    this.#cleanup();
    this.#controller.abort(CALL_ENDED);
  }

  /** The call failed: the error the caller gets (CANCELED or the deadline's error when the signal aborted first). */
  fail(reason: unknown): ConnectError {
    const signal = this.#controller.signal;
    const error = signal.aborted ? ConnectError.from(signal.reason, Code.Canceled) : ConnectError.from(reason);
    this.#cleanup();
    this.#controller.abort(error);
    return error;
  }

  #cleanup(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#onCallerAbort !== undefined) this.#callerSignal?.removeEventListener("abort", this.#onCallerAbort);
  }
}

/** A call's deadline passed (a module function, so that a timer keeps no closure). */
function expireCall(controller: AbortController): void {
  controller.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded));
}

/** Headers of a gRPC request, as connect's gRPC transport makes them. */
function requestHeader(
  init: HeadersInit | undefined,
  timeoutMs: number | undefined,
  acceptEncoding: string,
  sendEncoding: string | undefined,
): Headers {
  const header = new Headers(init);
  header.set("content-type", "application/grpc+proto");
  if (!header.has("user-agent")) header.set("user-agent", USER_AGENT);
  if (timeoutMs !== undefined) header.set("grpc-timeout", `${timeoutMs}m`);
  header.set("te", "trailers");
  if (sendEncoding !== undefined) header.set("grpc-encoding", sendEncoding);
  if (acceptEncoding !== "") header.set("grpc-accept-encoding", acceptEncoding);
  return header;
}

/** The request path of `url`, which an interceptor may have changed; an error when it is not on the connection's origin. */
function pathOf(url: string, baseUrl: string, origin: string, authority: string): string | ConnectError {
  if (url.startsWith(baseUrl) && url.charCodeAt(baseUrl.length) === 47 /* / */ && origin === authority) {
    const path = url.slice(origin.length);
    return path;
  }
  const parsed = new URL(url);
  if (parsed.origin !== authority) {
    return new ConnectError(`cannot make a request to ${parsed.origin}: the http2 session is connected to ${authority}`, Code.Internal);
  }
  return parsed.pathname + parsed.search;
}

/**
 * Checks the response status, content type and encoding as connect does; returns the
 * response's compression (undefined: none), and the error of a status in the headers (a
 * trailers-only response), for the caller to throw once the body has been read.
 */
function validateResponse(
  status: number,
  header: Headers,
  accept: readonly GrpcCompression[],
): { compression: GrpcCompression | undefined; headerError: ConnectError | undefined } {
  if (status !== 200) {
    throw new ConnectError(`HTTP ${status}`, codeFromHttpStatus(status), header);
  }
  const type = header.get("content-type");
  if (type === null || !GRPC_CONTENT_TYPE.test(type)) {
    throw new ConnectError(`unsupported content type ${type}`, Code.Unknown);
  }
  const headerError = grpcStatusError(header);
  const encoding = header.get("grpc-encoding");
  let compression: GrpcCompression | undefined;
  if (encoding !== null && encoding.toLowerCase() !== "identity") {
    compression = accept.find((c) => c.name === encoding);
    if (compression === undefined) {
      throw new ConnectError(`unsupported response encoding "${encoding}"`, Code.Internal, header);
    }
  }
  return { compression, headerError };
}

/** gRPC's mapping of an HTTP status to a code, for responses that carry no gRPC status. */
function codeFromHttpStatus(status: number): Code {
  switch (status) {
    case 400:
      return Code.Internal;
    case 401:
      return Code.Unauthenticated;
    case 403:
      return Code.PermissionDenied;
    case 404:
      return Code.Unimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return Code.Unavailable;
    default:
      return Code.Unknown;
  }
}

/** The one message envelope of a unary response body, or undefined for an empty body. */
function splitEnvelope(body: Buffer, readMaxBytes: number): { flags: number; data: Uint8Array } | undefined {
  if (body.byteLength === 0) return undefined;
  if (body.byteLength < 5) throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
  const length = body.readUInt32BE(1);
  if (length > readMaxBytes) {
    throw new ConnectError(`message size ${length} is larger than configured readMaxBytes ${readMaxBytes}`, Code.ResourceExhausted);
  }
  if (body.byteLength < 5 + length) throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
  if (body.byteLength > 5 + length) {
    if (body.byteLength - 5 - length < 5) throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
    throw new ConnectError("protocol error: received extra output message for unary method", Code.Unimplemented);
  }
  return { flags: body[0]!, data: body.subarray(5) };
}

/** A unary exchange's response, read whole. */
interface RawReply {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
  trailers: http2.IncomingHttpHeaders | undefined;
}

/**
 * Sends `frame` as the whole request body of a stream and reads the whole response, with
 * connect-node's error semantics: see {@link requestStream}.
 */
function roundTrip(
  manager: GrpcHttp2TransportOptions["sessionManager"],
  path: string,
  headers: http2.OutgoingHttpHeaders,
  frame: Buffer,
  signal: AbortSignal,
): Promise<RawReply> {
  return requestStream<RawReply>(manager, path, headers, frame, signal, "the stream closed before the response ended", (s, resolve) => {
    let status = 0;
    let responseHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    s.on("response", (h) => {
      status = Number(h[HTTP2_HEADER_STATUS] ?? 0);
      responseHeaders = h;
    });
    s.on("trailers", (t) => {
      trailers = t;
    });
    s.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.byteLength;
      manager.notifyResponseByteRead(s);
    });
    s.on("end", () => {
      resolve({
        status,
        headers: responseHeaders,
        body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size),
        trailers,
      });
    });
  });
}

/**
 * Opens a stream of `manager` for a request to `path`, lets `read` listen to it, then sends
 * `body` as the whole request (undefined: the caller writes the body). Until `read` resolves,
 * it fails with connect-node's error semantics: a stream error is mapped as connect-node
 * maps Node's errors (a write after the end of an ended stream is no error: the server has
 * answered), a stream reset by the peer by its RST_STREAM code (any other close by
 * `closedEarly`), and an aborted signal closes the stream with CANCEL (CANCELED) or
 * INTERNAL_ERROR (anything else) and fails the call with the signal's reason. Once
 * resolved, the caller owns the stream and its errors.
 */
function requestStream<T>(
  manager: GrpcHttp2TransportOptions["sessionManager"],
  path: string,
  headers: http2.OutgoingHttpHeaders,
  body: Buffer | undefined,
  signal: AbortSignal,
  closedEarly: string,
  read: (stream: http2.ClientHttp2Stream, resolve: (value: T) => void, fail: (reason: unknown) => void) => void,
): Promise<T> {
  return new Promise<T>((resolvePromise, reject) => {
    let settled = false;
    let stream: http2.ClientHttp2Stream | undefined;
    const fail = (reason: unknown) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      const error = reason instanceof ConnectError ? reason : connectErrorFromNodeReason(reason);
      if (stream !== undefined && !stream.closed) {
        stream.close(error.code === Code.Canceled ? NGHTTP2_CANCEL : NGHTTP2_INTERNAL_ERROR);
      }
      reject(error);
    };
    const onAbort = () => fail(ConnectError.from(signal.reason ?? new Error("This operation was aborted"), Code.Canceled));
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener("abort", onAbort);
    manager.request("POST", path, headers, {}).then((s) => {
      stream = s;
      if (settled) {
        s.close(NGHTTP2_CANCEL);
        return;
      }
      const onError = (e: unknown) => {
        if (s.writableEnded && chainHasCode(e, "ERR_STREAM_WRITE_AFTER_END")) return;
        fail(e);
      };
      const onClose = () =>
        fail(connectErrorFromH2ResetCode(s.rstCode) ?? new ConnectError(`protocol error: ${closedEarly}`, Code.Internal));
      s.on("error", onError);
      s.on("close", onClose);
      const resolve = (value: T) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener("abort", onAbort);
        s.off("error", onError);
        s.off("close", onClose);
        // From now on the caller listens; until it does, errors of the stream are not the process's.
        s.on("error", ignore);
        resolvePromise(value);
      };
      read(s, resolve, fail);
      if (body !== undefined) s.end(body);
    }, fail);
  });
}

/** connect-node's mapping of Node's errors to a code (node-error.ts, `connectErrorFromNodeReason`). */
function connectErrorFromNodeReason(reason: unknown): ConnectError {
  let code = Code.Internal;
  if (chainHasCode(reason, "ERR_STREAM_WRITE_AFTER_END", "ERR_STREAM_DESTROYED", "ERR_HTTP2_INVALID_STREAM", "ECONNRESET")) {
    code = Code.Aborted;
  } else if (chainHasCode(reason, "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED")) {
    code = Code.Unavailable;
  }
  const error = ConnectError.from(reason, code);
  if (error !== reason) error.cause = reason;
  return error;
}

function chainHasCode(reason: unknown, ...codes: string[]): boolean {
  const seen: unknown[] = [];
  for (let link = reason; link instanceof Error && !seen.includes(link); link = link.cause) {
    seen.push(link);
    const code = (link as { code?: unknown }).code;
    if (typeof code === "string" && codes.includes(code)) return true;
  }
  return false;
}

const H2_CODE_NAMES: Readonly<Record<number, [string, Code]>> = {
  1: ["PROTOCOL_ERROR", Code.Internal],
  2: ["INTERNAL_ERROR", Code.Internal],
  3: ["FLOW_CONTROL_ERROR", Code.Internal],
  4: ["SETTINGS_TIMEOUT", Code.Internal],
  6: ["FRAME_SIZE_ERROR", Code.Internal],
  7: ["REFUSED_STREAM", Code.Unavailable],
  8: ["CANCEL", Code.Canceled],
  9: ["COMPRESSION_ERROR", Code.Internal],
  10: ["CONNECT_ERROR", Code.Internal],
  11: ["ENHANCE_YOUR_CALM", Code.ResourceExhausted],
  12: ["INADEQUATE_SECURITY", Code.PermissionDenied],
  13: ["HTTP_1_1_REQUIRED", Code.PermissionDenied],
};

/** connect-node's mapping of an RST_STREAM code; NO_ERROR and STREAM_CLOSED map to nothing (gRPC's PROTOCOL-HTTP2.md). */
function connectErrorFromH2ResetCode(rstCode: number | undefined): ConnectError | undefined {
  const entry = rstCode === undefined ? undefined : H2_CODE_NAMES[rstCode];
  if (entry === undefined) return undefined;
  return new ConnectError(`http/2 stream closed with error code ${entry[0]} (0x${rstCode!.toString(16)})`, entry[1]);
}

/** Web headers to Node's outgoing headers (names are lower case already). */
function nodeHeadersOf(header: Headers): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = {};
  header.forEach((value, key) => {
    out[key] = value;
  });
  return out;
}

/** Node's incoming headers to web headers, without the pseudo-headers. */
function webHeadersOf(headers: http2.IncomingHttpHeaders | undefined): Headers {
  const out = new Headers();
  if (headers !== undefined) appendIncoming(out, headers);
  return out;
}

/** Appends Node's incoming headers to `out`, without the pseudo-headers. */
function appendIncoming(out: Headers, headers: http2.IncomingHttpHeaders): void {
  for (const key in headers) {
    if (key.charCodeAt(0) === 58 /* : */) continue;
    const value = headers[key];
    if (Array.isArray(value)) for (const v of value) out.append(key, v);
    else if (value !== undefined) out.append(key, value);
  }
}

/**
 * Response headers that {@link validateResponse} passes with nothing to report: HTTP 200,
 * a gRPC protobuf content type, no encoding, no status (a trailers-only answer has one).
 * Read on Node's headers, so that the web `Headers` can be filled only when used.
 */
function isPlainGrpcHeaders(status: number, headers: http2.IncomingHttpHeaders): boolean {
  return (
    status === 200 &&
    headers["grpc-status"] === undefined &&
    headers["grpc-status-details-bin"] === undefined &&
    (headers["grpc-encoding"] === undefined || headers["grpc-encoding"] === "identity") &&
    (headers["content-type"] === "application/grpc" || headers["content-type"] === "application/grpc+proto")
  );
}

/**
 * The request messages as messages of `schema` (callers may pass initialisers); `throw` and
 * `return` reach the caller's iterator, as through connect's pipeline.
 */
function normalizeMessages<I extends DescMessage>(schema: I, input: AsyncIterable<MessageInitShape<I>>): AsyncIterable<MessageShape<I>> {
  return new NormalizedMessages(schema, input);
}

// Classes rather than object literals of closures: an open client or bidi stream keeps
// them until it ends, and methods on a prototype cost nothing per stream.
class NormalizedMessages<I extends DescMessage> implements AsyncIterable<MessageShape<I>> {
  constructor(
    private readonly schema: I,
    private readonly input: AsyncIterable<MessageInitShape<I>>,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<MessageShape<I>> {
    return new NormalizedIterator(this.schema, this.input[Symbol.asyncIterator]());
  }
}

class NormalizedIterator<I extends DescMessage> implements AsyncIterator<MessageShape<I>> {
  constructor(
    private readonly schema: I,
    private readonly it: AsyncIterator<MessageInitShape<I>>,
  ) {}

  next(): Promise<IteratorResult<MessageShape<I>>> {
    const schema = this.schema;
    return this.it
      .next()
      .then((r) => (r.done === true ? r : { done: false, value: isMessage(r.value, schema) ? r.value : create(schema, r.value) }));
  }

  throw(e?: unknown): Promise<IteratorResult<MessageShape<I>>> {
    const it = this.it;
    return (it.throw ? it.throw(e) : Promise.reject(e)) as Promise<IteratorResult<MessageShape<I>>>;
  }

  return(value?: unknown): Promise<IteratorResult<MessageShape<I>>> {
    const it = this.it;
    return (it.return ? it.return(value) : Promise.resolve({ done: true, value })) as Promise<IteratorResult<MessageShape<I>>>;
  }
}

function ignore(): void {}

/** The manager's members, for a copy with another `request`. */
function pick(manager: GrpcHttp2TransportOptions["sessionManager"]): GrpcHttp2TransportOptions["sessionManager"] {
  return {
    authority: manager.authority,
    request: manager.request.bind(manager),
    notifyResponseByteRead: (stream) => manager.notifyResponseByteRead(stream),
  };
}

/**
 * Writes the request messages of a client or bidi stream as they come, each in one gRPC
 * envelope, and ends the request body after the last; waits for `drain` while the stream's
 * buffer is full (send-side flow control). Stops when the call is over (its signal aborted),
 * and when the server has ended the stream, answering before taking the whole request: the
 * request iterable then gets a write-after-end error thrown into it, as connect-node's
 * writer does, and the answer decides the call. A failure of the request iterable, its
 * serialisation or compression goes to `fail`.
 */
async function writeRequest(
  stream: http2.ClientHttp2Stream,
  messages: AsyncIterable<MessageShape<DescMessage>>,
  frame: (message: MessageShape<DescMessage>) => Buffer | Promise<Buffer>,
  signal: AbortSignal,
  fail: (reason: unknown) => void,
): Promise<void> {
  const it = messages[Symbol.asyncIterator]();
  const answered = () => {
    if (signal.aborted) return true;
    if (!stream.closed && !stream.destroyed && !stream.writableEnded) return false;
    const writeAfterEnd = Object.assign(new Error("write after end"), { code: "ERR_STREAM_WRITE_AFTER_END" });
    it.throw?.(connectErrorFromNodeReason(writeAfterEnd)).catch(ignore);
    return true;
  };
  // Writes of one turn leave together (one writev; the last DATA frame can carry END_STREAM).
  let corked = false;
  const uncork = () => {
    corked = false;
    stream.uncork();
  };
  try {
    for (;;) {
      if (answered()) return;
      const r = await it.next();
      if (answered()) return;
      if (r.done === true) {
        stream.end();
        return;
      }
      const framed = frame(r.value);
      // A compressed message comes as a promise (of any realm: test for the buffer).
      const bytes = Buffer.isBuffer(framed) ? framed : await framed;
      if (answered()) return;
      if (!corked) {
        corked = true;
        stream.cork();
        process.nextTick(uncork);
      }
      if (!stream.write(bytes)) await drainOrEnd(stream);
    }
  } catch (e) {
    fail(e);
  }
}

/** Resolves when the stream can take more (`drain`), or will take nothing more. */
function drainOrEnd(stream: http2.ClientHttp2Stream): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("aborted", done);
      stream.off("close", done);
      stream.off("error", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("aborted", done);
    stream.on("close", done);
    stream.on("error", done);
  });
}

/**
 * The response messages as the caller reads them, as connect's `runStreamingCall` gives
 * them: a read after the call's signal aborted fails with its reason, a failure fails the
 * call (aborting its signal), and the end of the stream ends the call.
 */
function endWithCall<T>(messages: AsyncIterable<T>, call: CallSignal): AsyncIterable<T> {
  return new CallEndingMessages(messages, call);
}

class CallEndingMessages<T> implements AsyncIterable<T> {
  constructor(
    private readonly messages: AsyncIterable<T>,
    private readonly call: CallSignal,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return new CallEndingIterator(this.messages[Symbol.asyncIterator](), this.call);
  }
}

class CallEndingIterator<T> implements AsyncIterator<T> {
  private done = false;

  constructor(
    private readonly it: AsyncIterator<T>,
    private readonly call: CallSignal,
  ) {}

  next(): Promise<IteratorResult<T>> {
    const call = this.call;
    if (!this.done && call.signal.aborted) return Promise.reject(call.fail(call.signal.reason));
    return this.it.next().then(
      (r) => {
        if (r.done === true && !this.done) {
          this.done = true;
          call.end();
        }
        return r;
      },
      (reason: unknown) => Promise.reject(call.fail(reason)),
    );
  }

  return(value?: unknown): Promise<IteratorResult<T>> {
    const it = this.it;
    return it.return ? it.return(value) : Promise.resolve({ done: true as const, value: undefined });
  }
}

/** An open response stream, once its headers arrived. */
interface OpenedStream {
  status: number;
  headers: http2.IncomingHttpHeaders;
  stream: http2.ClientHttp2Stream;
}

/**
 * Opens a stream, sends `body` as the whole request, and resolves once the response
 * headers arrive; fails as {@link requestStream} does before that. The caller owns the
 * stream from then on.
 */
function openStream(
  manager: GrpcHttp2TransportOptions["sessionManager"],
  path: string,
  headers: http2.OutgoingHttpHeaders,
  body: Buffer,
  signal: AbortSignal,
): Promise<OpenedStream> {
  return requestStream<OpenedStream>(
    manager,
    path,
    headers,
    body,
    signal,
    "the stream closed before the response headers",
    (s, resolve) => {
      s.once("response", (h) => {
        // The reader of the messages resumes the stream.
        s.pause();
        resolve({ status: Number(h[HTTP2_HEADER_STATUS] ?? 0), headers: h, stream: s });
      });
    },
  );
}

/** What {@link ResponseMessages} needs besides the stream. */
interface ResponseMessagesOptions<T> {
  /** The headers carried a gRPC status: no trailers are expected. */
  foundStatus: boolean;
  header: Headers;
  /** Filled from the response trailers when they arrive. */
  trailer: Headers;
  /** Parses one message. */
  parse(data: Uint8Array): T;
  /** Decompresses a compressed message (throws when the response named no encoding). */
  decompress(data: Uint8Array): Promise<Uint8Array>;
  readMaxBytes: number;
}

/** Pause reading from the stream while this many messages wait to be read. */
const HIGH_WATER_MESSAGES = 64;

/**
 * The response messages of a server stream, read from the `node:http2` stream as they are
 * asked for: envelopes are split from the bytes as they arrive (the stream pauses while
 * enough wait), and each is decompressed and parsed when read. At the end the trailers
 * are checked as connect checks them; a stream error, reset or abort fails the next read
 * with the error connect-node gives; `return()` (the caller stops early) cancels the stream.
 */
class ResponseMessages<T> implements AsyncIterable<T>, AsyncIterator<T> {
  private readonly envelopes: { flags: number; data: Uint8Array }[] = [];
  private pending: Buffer | undefined;
  private ended = false;
  private error: ConnectError | undefined;
  private finished = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly stream: http2.ClientHttp2Stream,
    manager: GrpcHttp2TransportOptions["sessionManager"],
    private readonly signal: AbortSignal,
    private readonly options: ResponseMessagesOptions<T>,
  ) {
    stream.on("data", (chunk: Buffer) => {
      manager.notifyResponseByteRead(stream);
      try {
        this.split(chunk);
      } catch (e) {
        this.failWith(e as ConnectError);
        return;
      }
      if (this.envelopes.length >= HIGH_WATER_MESSAGES) stream.pause();
      this.notify();
    });
    stream.on("trailers", (t) => {
      appendIncoming(options.trailer, t);
    });
    stream.on("end", () => {
      this.ended = true;
      this.notify();
    });
    stream.on("error", (e: unknown) => {
      if (stream.writableEnded && chainHasCode(e, "ERR_STREAM_WRITE_AFTER_END")) return;
      this.failWith(connectErrorFromNodeReason(e));
    });
    stream.on("close", () => {
      const reset = connectErrorFromH2ResetCode(stream.rstCode);
      if (reset !== undefined) this.failWith(reset);
      else if (!this.ended) this.failWith(new ConnectError("protocol error: the stream closed before the response ended", Code.Internal));
    });
    signal.addEventListener("abort", this.onAbort);
    stream.resume();
  }

  private readonly onAbort = () => {
    this.failWith(ConnectError.from(this.signal.reason ?? new Error("This operation was aborted"), Code.Canceled));
  };

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<T>> {
    for (;;) {
      if (this.error !== undefined) throw this.error;
      const envelope = this.envelopes.shift();
      if (envelope !== undefined) {
        if (this.envelopes.length < HIGH_WATER_MESSAGES && this.stream.isPaused()) this.stream.resume();
        const data = (envelope.flags & 1) === 0 ? envelope.data : await this.options.decompress(envelope.data);
        return { done: false, value: this.options.parse(data) };
      }
      if (this.ended) return this.finish();
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  async return(): Promise<IteratorResult<T>> {
    if (!this.finished && this.error === undefined) {
      this.failWith(new ConnectError("the response stream was closed early", Code.Canceled));
    }
    return { done: true, value: undefined };
  }

  /** The end of the body: the last envelope must be whole, and the status must be OK. */
  private finish(): IteratorResult<T> {
    if (!this.finished) {
      this.finished = true;
      this.signal.removeEventListener("abort", this.onAbort);
      if (this.pending !== undefined && this.pending.byteLength > 0) {
        throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
      }
      if (!this.options.foundStatus) {
        const error = grpcStatusError(this.options.trailer);
        if (error !== undefined) {
          this.options.header.forEach((value, key) => error.metadata.append(key, value));
          throw error;
        }
        if (!hasGrpcStatus(this.options.trailer)) throw new ConnectError("protocol error: missing status", Code.Internal);
      }
    }
    return { done: true, value: undefined };
  }

  private split(chunk: Buffer): void {
    let buffer = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    while (buffer.byteLength >= 5) {
      const length = buffer.readUInt32BE(1);
      if (length > this.options.readMaxBytes) {
        throw new ConnectError(
          `message size ${length} is larger than configured readMaxBytes ${this.options.readMaxBytes}`,
          Code.ResourceExhausted,
        );
      }
      if (buffer.byteLength < 5 + length) break;
      this.envelopes.push({ flags: buffer[0]!, data: buffer.subarray(5, 5 + length) });
      buffer = buffer.subarray(5 + length);
    }
    this.pending = buffer.byteLength > 0 ? buffer : undefined;
  }

  /** Fails the next read with `error` and closes the stream (CANCEL for CANCELED, else INTERNAL_ERROR); a no-op once finished or failed. */
  failWith(error: ConnectError): void {
    if (this.error !== undefined || this.finished) return;
    this.error = error;
    this.signal.removeEventListener("abort", this.onAbort);
    if (!this.stream.closed) this.stream.close(error.code === Code.Canceled ? NGHTTP2_CANCEL : NGHTTP2_INTERNAL_ERROR);
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
