import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { HelloClientOptions } from "./hello-client-options.js";

/** The header that carries a call's request id. */
export const REQUEST_ID_HEADER = "x-request-id";

/** Options of {@link createClientInterceptors}. */
export interface ClientInterceptorsOptions extends Pick<HelloClientOptions, "headers" | "requestId"> {
  /** The transport cannot stream both ways (HTTP/1.1, or a browser's fetch). */
  halfDuplexOnly: boolean;
}

/**
 * The interceptors every hello client runs: default headers, a request id per call, and a
 * clear early error for bidirectional calls on a transport that cannot carry them (instead
 * of an opaque HTTP 505 from the server).
 */
export function createClientInterceptors(options: ClientInterceptorsOptions): Interceptor[] {
  const makeId =
    options.requestId === false
      ? undefined
      : (options.requestId ?? (() => globalThis.crypto.randomUUID()));
  const headers = Object.entries(options.headers ?? {});
  return [
    (next) => async (req) => {
      if (options.halfDuplexOnly && req.method.methodKind === "bidi_streaming") {
        throw new ConnectError(
          `${req.method.name} is a bidirectional stream, which needs HTTP/2: this client uses HTTP/1.1 (create it with httpVersion "2", in Node)`,
          Code.Unimplemented,
        );
      }
      for (const [key, value] of headers) {
        if (!req.header.has(key)) req.header.set(key, value);
      }
      if (makeId && !req.header.has(REQUEST_ID_HEADER)) {
        req.header.set(REQUEST_ID_HEADER, makeId());
      }
      return next(req);
    },
  ];
}
