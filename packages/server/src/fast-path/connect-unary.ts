import { Code, ConnectError } from "@connectrpc/connect";
import { mergeNonProtocolHeaders } from "@connectrpc/connect/protocol";
import { codeToHttpStatus, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { CallHeaders } from "./call-headers.js";
import { detachedBytes } from "./detached-bytes.js";
import type { UnaryMethod } from "./unary-method.js";
import type { UnaryExchange } from "./exchange.js";

/** What a Connect unary exchange needs besides the call. */
export interface ConnectUnaryExchange extends UnaryExchange<UnaryMethod> {
  /** `application/proto` (true) or `application/json` (false). */
  readonly binary: boolean;
  /** The request's `content-length`, as connect reads it (a length hint). */
  readonly contentLength: string | undefined;
}

/**
 * Serves one Connect unary POST (`application/proto` or `application/json`, no request
 * compression) on its wire (an HTTP/2 stream, or an HTTP/1.1 request and response), with connect's wire behaviour
 * (protocol-connect/handler-factory.js, `createUnaryHandler`): the body is read whole
 * within `readMaxBytes` and the `content-length` it promised, parsed, and the method run;
 * success is the message with HTTP 200, failure connect's JSON error with the status for
 * its code; trailers travel as `trailer-` headers; the body is compressed when the
 * client's `accept-encoding` allows and it is at least `compressMinBytes`.
 */
export function serveConnectUnary(exchange: ConnectUnaryExchange): void {
  const { wire, call } = exchange;
  const readMaxBytes = exchange.readMaxBytes;
  let settled = false;
  const fail = (error: unknown) => {
    if (settled) return;
    settled = true;
    void respond(exchange, undefined, error);
    wire.releaseUnread();
  };

  // connect's readAllBytes(body, readMaxBytes, content-length)
  const hint = lengthHint(exchange.contentLength);
  if (hint !== undefined && hint > readMaxBytes) {
    fail(new ConnectError(`message size ${hint} is larger than configured readMaxBytes ${readMaxBytes}`, Code.ResourceExhausted));
    return;
  }
  const chunks: Buffer[] = [];
  let received = 0;
  wire.onData((chunk: Buffer) => {
    if (settled) return;
    if (hint !== undefined) {
      if (received + chunk.byteLength > hint) {
        fail(new ConnectError(`protocol error: promised ${hint} bytes, received ${received + chunk.byteLength}`, Code.InvalidArgument));
        return;
      }
    } else if (received + chunk.byteLength > readMaxBytes) {
      fail(new ConnectError(`message size is larger than configured readMaxBytes ${readMaxBytes}`, Code.ResourceExhausted));
      return;
    }
    received += chunk.byteLength;
    chunks.push(chunk);
  });
  wire.onEnd(() => {
    if (settled) return;
    if (hint !== undefined && received < hint) {
      fail(new ConnectError(`protocol error: promised ${hint} bytes, received ${received}`, Code.InvalidArgument));
      return;
    }
    settled = true;
    const body = detachedBytes(received);
    let offset = 0;
    for (const chunk of chunks) {
      body.set(chunk, offset);
      offset += chunk.byteLength;
    }
    try {
      call.message = exchange.method.serialization.getI(exchange.binary).parse(body);
    } catch (error) {
      void respond(exchange, undefined, error);
      return;
    }
    call.begin();
    exchange.method.invoke(
      call,
      (message) => void respond(exchange, message, undefined),
      (error: unknown) => void respond(exchange, undefined, error ?? UNDEFINED_THROWN),
    );
  });
}

/** Stands in for `throw undefined`, which connect answers as INTERNAL like any non-ConnectError. */
const UNDEFINED_THROWN = Symbol("undefined thrown");

async function respond(exchange: ConnectUnaryExchange, message: unknown, reason: unknown): Promise<void> {
  const { call } = exchange;
  let status = 200;
  let body: Uint8Array;
  if (reason === undefined) {
    try {
      body = exchange.method.serialization.getO(exchange.binary).serialize(message as never);
    } catch (error) {
      reason = error;
    }
  }
  if (reason !== undefined) {
    const cause = reason === UNDEFINED_THROWN ? undefined : reason;
    call.abort(cause);
    const error = cause instanceof ConnectError ? cause : new ConnectError("internal error", Code.Internal, undefined, undefined, cause);
    status = codeToHttpStatus(error.code);
    call.responseHeader.set("Content-Type", "application/json");
    if (!error.isWireError) {
      mergeNonProtocolHeaders(call.responseHeader, error.metadata);
    }
    body = errorToJsonBytes(error, exchange.method.jsonOptions);
  }
  // connect: context.abort() in `finally` (a no-op after an error: the first reason wins).
  call.abort();
  const compression = exchange.compression;
  if (compression !== null && body!.byteLength >= exchange.compressMinBytes) {
    try {
      body = await compression.compress(body!);
    } catch {
      // connect's handler would reject here and leave the request unanswered; reset it.
      exchange.wire.abandon();
      exchange.onEnd(call);
      return;
    }
    call.responseHeader.set("Content-Encoding", compression.name);
  }
  const trailer = call.responseTrailerOrInit();
  const header = trailer instanceof Headers ? trailerMux(call.responseHeader, trailer) : headersCopy(call.responseHeaderOrInit());
  header.set("Content-Length", body!.byteLength.toString(10));
  exchange.wire.respondWithBody(status, exchange.baseHeaders, header, body!);
  exchange.onEnd(call);
}

/**
 * connect's `trailerMux` (protocol-connect/trailer-mux.js) — the response headers plus each
 * trailer as a `trailer-` header — into a `CallHeaders` instead of undici's `Headers`.
 */
function trailerMux(header: Headers, trailer: Headers): Headers {
  const muxed = headersCopy(header);
  trailer.forEach((value, key) => muxed.append(`trailer-${key}`, value));
  return muxed;
}

/** `new Headers(source)`, into a `CallHeaders`. */
function headersCopy(source: Headers | Readonly<Record<string, string>>): Headers {
  if (!(source instanceof Headers)) return new CallHeaders(source);
  const copy = new CallHeaders();
  source.forEach((value, key) => copy.append(key, value));
  return copy;
}

/** connect's parseLengthHint: a safe non-negative integer, else no hint. */
function lengthHint(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = parseInt(value, 10);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}
