import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { ClientOptions, TokenSource } from "./client-options.js";
import { AUTHORIZATION_HEADER, bearerAuthorization } from "./metadata/bearer-token.js";
import { requestMetadataError } from "./metadata/request-metadata-error.js";

/** The header that carries a call's request id. */
export const REQUEST_ID_HEADER = "x-request-id";

/** Options of {@link createClientInterceptors}. */
export interface ClientInterceptorsOptions extends Pick<ClientOptions, "headers" | "requestId" | "token"> {
  /** The transport cannot stream both ways (HTTP/1.1, or a browser's fetch). */
  halfDuplexOnly: boolean;
}

/**
 * The interceptors every client of this package runs: default headers, a bearer token, a
 * request id per call, and a clear early error for bidirectional calls on a transport that
 * cannot carry them (instead of an opaque HTTP 505 from the server).
 *
 * Throws a `ConnectError` with INVALID_ARGUMENT when `headers` has a reserved key
 * (`grpc-*`, …) or a malformed value, or `token` is not a valid bearer token: a mistake in
 * the options shows when the client is made, not on the first call.
 */
export function createClientInterceptors(options: ClientInterceptorsOptions): Interceptor[] {
  const headerError = requestMetadataError(options.headers);
  if (headerError !== undefined) {
    throw headerError;
  }
  const authorization = authorizationOf(options.token);
  const makeId = options.requestId === false ? undefined : (options.requestId ?? (() => globalThis.crypto.randomUUID()));
  const headers = Object.entries(options.headers ?? {});
  return [
    // Not async: a call without a token source to wait for goes on in the same step.
    (next) => (req) => {
      if (options.halfDuplexOnly && req.method.methodKind === "bidi_streaming") {
        return Promise.reject(
          new ConnectError(
            `${req.method.name} is a bidirectional stream, which needs HTTP/2: this client uses HTTP/1.1 (create it with httpVersion "2", in Node)`,
            Code.Unimplemented,
          ),
        );
      }
      try {
        for (const [key, value] of headers) {
          if (!req.header.has(key)) req.header.set(key, value);
        }
        if (makeId && !req.header.has(REQUEST_ID_HEADER)) {
          req.header.set(REQUEST_ID_HEADER, makeId());
        }
      } catch (e) {
        return Promise.reject(e);
      }
      if (authorization !== undefined && !req.header.has(AUTHORIZATION_HEADER)) {
        return authorization().then((value) => {
          req.header.set(AUTHORIZATION_HEADER, value);
          return next(req);
        });
      }
      return next(req);
    },
  ];
}

/** The `authorization` value of each call, from a fixed token (checked now) or a source. */
function authorizationOf(token: TokenSource | undefined): (() => Promise<string>) | undefined {
  if (token === undefined) {
    return undefined;
  }
  if (typeof token === "string") {
    const value = bearerAuthorization(token);
    return () => Promise.resolve(value);
  }
  return async () => {
    let value: string;
    try {
      value = await token();
    } catch (e) {
      if (e instanceof ConnectError) throw e;
      throw new ConnectError(
        `could not get a bearer token: ${e instanceof Error ? e.message : String(e)}`,
        Code.Unauthenticated,
        undefined,
        undefined,
        e,
      );
    }
    return bearerAuthorization(value);
  };
}
