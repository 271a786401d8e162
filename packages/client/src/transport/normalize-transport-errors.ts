import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/**
 * Node's codes for connection-level failures: the call never got a gRPC status from a
 * server, because the connection could not be made or broke. gRPC closes such calls with
 * UNAVAILABLE ("If a detectable connection failure occurs on the client all calls will be
 * closed with an UNAVAILABLE status", PROTOCOL-HTTP2.md, Connection failure), as
 * connect-node does for some of them (ECONNREFUSED, ETIMEDOUT, ENOTFOUND, EAI_AGAIN) when
 * it can read the code. Each maps to what happened, for the message.
 */
const CONNECTION_FAILURES: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EPIPE: "connection closed while sending",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  // connect-node maps both name-resolution failures to UNAVAILABLE (its "unresolvable_host" conformance case).
  EAI_AGAIN: "name resolution failed (temporary)",
  ENOTFOUND: "name resolution failed",
  ERR_HTTP2_GOAWAY_SESSION: "the HTTP/2 connection is going away (GOAWAY) and takes no new calls",
  ERR_HTTP2_SESSION_ERROR: "the HTTP/2 connection closed with an error",
};

/** The message of a TLS connection to a server that answered in cleartext. */
export const NOT_TLS = "TLS handshake failed: the server answered in cleartext, not TLS (an https:// URL for an http:// port?)";

/**
 * gRPC's mapping of an HTTP/2 RST_STREAM error code to a status (PROTOCOL-HTTP2.md,
 * Errors); every code not listed — PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR, … —
 * is INTERNAL. REFUSED_STREAM "indicates that no processing occurred and the request can
 * be retried, possibly elsewhere".
 */
const RST_STREAM_CODES: Readonly<Record<string, Code>> = {
  REFUSED_STREAM: Code.Unavailable,
  CANCEL: Code.Canceled,
  ENHANCE_YOUR_CALM: Code.ResourceExhausted,
  INADEQUATE_SECURITY: Code.PermissionDenied,
};

/**
 * The codes connect gives a failure it could not classify (INTERNAL, UNKNOWN), a reset
 * connection (ABORTED), or a failed connection (UNAVAILABLE): only these are replaced.
 * CANCELED and DEADLINE_EXCEEDED come from the caller's signal and deadline, and any other
 * code was decided on purpose: those stay as they are.
 */
const REPLACEABLE = new Set([Code.Internal, Code.Unknown, Code.Aborted, Code.Unavailable]);

/** Errors this module made, so that normalising twice changes nothing. */
const normalized = new WeakSet<ConnectError>();

/**
 * Gives a transport error that carries no gRPC status from a server the status gRPC
 * specifies for it, whatever realm the error was made in:
 *
 * - connection-level failures (ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT, EHOSTUNREACH,
 *   ENETUNREACH, EAI_AGAIN, ENOTFOUND, ERR_HTTP2_GOAWAY_SESSION, ERR_HTTP2_SESSION_ERROR)
 *   become UNAVAILABLE;
 * - an HTTP/2 stream reset by the peer (ERR_HTTP2_STREAM_ERROR, "Stream closed with error
 *   code NGHTTP2_<NAME>") follows gRPC's RST_STREAM mapping: REFUSED_STREAM → UNAVAILABLE,
 *   CANCEL → CANCELED, ENHANCE_YOUR_CALM → RESOURCE_EXHAUSTED, INADEQUATE_SECURITY →
 *   PERMISSION_DENIED, any other code → INTERNAL.
 *
 * The codes are read by duck typing along the `cause` chain, never with `instanceof`:
 * connect-node classifies Node's errors with `instanceof Error`, which fails for errors made
 * in another realm (a jest test's sandbox, a vm context), and then reports ECONNREFUSED as
 * INTERNAL. The result keeps the original error as its `cause`, the original metadata, and
 * says what happened in its message. Anything else — errors from a server, the caller's
 * cancellation and deadline — is returned as `ConnectError.from` gives it.
 *
 * @example
 * normalizeTransportError(error).code; // Code.Unavailable for a refused connection
 */
export function normalizeTransportError(reason: unknown): ConnectError {
  return replacementOf(reason) ?? ConnectError.from(reason);
}

/**
 * An interceptor that replaces every error of a call — of the call itself, and of each
 * response message of a stream — as {@link normalizeTransportError} does; errors it does not
 * replace are rethrown as they came. Put it after (inside) `createRetryInterceptor`, next to
 * the transport, so that retries see the normalised code of each attempt.
 *
 * @example
 * createGrpcTransport({ baseUrl, interceptors: [createRetryInterceptor(), normalizeTransportErrors] });
 */
export const normalizeTransportErrors: Interceptor = (next) => (req) => {
  let pending: ReturnType<typeof next>;
  try {
    pending = next(req);
  } catch (e) {
    return Promise.reject(replacementOf(e) ?? e);
  }
  return pending.then((res) => (res.stream ? { ...res, message: normalizeMessages(res.message) } : res), rethrowReplaced);
};

/** Anything not replaced is thrown on as it came, for connect to handle as before. */
function rethrowReplaced(reason: unknown): never {
  throw replacementOf(reason) ?? reason;
}

/**
 * The messages with their errors replaced; `return()` (the caller stops early) and
 * `throw()` reach the stream. An iterator object rather than an async generator: one
 * promise per message instead of a generator's steps.
 */
function normalizeMessages<T>(messages: AsyncIterable<T>): AsyncIterable<T> {
  return new NormalizedMessages(messages);
}

// Classes rather than object literals of closures: an open stream keeps them until it
// ends, and methods on a prototype cost nothing per stream.
class NormalizedMessages<T> implements AsyncIterable<T> {
  constructor(private readonly messages: AsyncIterable<T>) {}

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return new NormalizedIterator(this.messages[Symbol.asyncIterator]());
  }
}

class NormalizedIterator<T> implements AsyncIterator<T> {
  constructor(private readonly it: AsyncIterator<T>) {}

  next(value?: unknown): Promise<IteratorResult<T>> {
    return this.it.next(value as never).then(undefined, rethrowReplaced);
  }

  return(value?: unknown): Promise<IteratorResult<T>> {
    const it = this.it;
    return it.return
      ? it.return(value as never).then(undefined, rethrowReplaced)
      : Promise.resolve({ done: true as const, value: value as never });
  }

  throw(reason?: unknown): Promise<IteratorResult<T>> {
    const it = this.it;
    return it.throw ? it.throw(reason).then(undefined, rethrowReplaced) : Promise.reject(reason);
  }
}

/** The error that replaces `reason`, or undefined when it stays as it is. */
function replacementOf(reason: unknown): ConnectError | undefined {
  const error = ConnectError.from(reason);
  if (normalized.has(error) || !REPLACEABLE.has(error.code)) {
    return undefined;
  }
  const failure = classify(error.cause);
  if (failure === undefined) {
    return undefined;
  }
  const result = new ConnectError(failure.message, failure.code, error.metadata, undefined, reason);
  normalized.add(result);
  return result;
}

/** The status and message for the first failure along the cause chain that says one. */
function classify(cause: unknown): { code: Code; message: string } | undefined {
  const seen = new Set<unknown>();
  for (let link = cause; typeof link === "object" && link !== null && !seen.has(link); link = causeOf(link)) {
    seen.add(link);
    const code = stringProperty(link, "code");
    const detail = stringProperty(link, "message") ?? "";
    if (code === undefined) {
      continue;
    }
    const what = CONNECTION_FAILURES[code];
    if (what !== undefined) {
      return { code: Code.Unavailable, message: `${what} (${code}): ${detail}` };
    }
    // An https:// URL for a cleartext port: the first bytes back are not a TLS record.
    // Node names it in the code (HTTP/2) or only in OpenSSL's text after EPROTO (HTTP/1.1).
    if (code === "ERR_SSL_WRONG_VERSION_NUMBER" || (code === "EPROTO" && /wrong version number/.test(detail))) {
      return { code: Code.Unavailable, message: `${NOT_TLS} (${code})` };
    }
    if (code === "ERR_HTTP2_STREAM_ERROR") {
      // Node names the code in the message: "Stream closed with error code NGHTTP2_REFUSED_STREAM".
      const name = /\bNGHTTP2_([A-Z0-9_]+)\b/.exec(detail)?.[1];
      return {
        code: (name !== undefined ? RST_STREAM_CODES[name] : undefined) ?? Code.Internal,
        message: `HTTP/2 stream reset by the peer with ${name ?? "an unknown error code"} (RST_STREAM): ${detail}`,
      };
    }
  }
  return undefined;
}

function causeOf(link: object): unknown {
  return "cause" in link ? link.cause : undefined;
}

function stringProperty(value: object, key: "code" | "message"): string | undefined {
  const property: unknown = (value as Record<string, unknown>)[key];
  return typeof property === "string" ? property : undefined;
}
