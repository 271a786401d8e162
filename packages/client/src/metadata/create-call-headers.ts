import { Code, ConnectError } from "@connectrpc/connect";
import { REQUEST_ID_HEADER } from "../create-client-interceptors.js";
import { appendBinaryHeader } from "./binary-header.js";
import { AUTHORIZATION_HEADER, bearerAuthorization } from "./bearer-token.js";
import { requestMetadataError } from "./request-metadata-error.js";

/** A metadata key for binary values: it ends in `-bin`. */
export type BinaryMetadataKey = `${string}-bin`;

/** The metadata of one call, typed: see {@link createCallHeaders}. */
export interface CallHeadersInit {
  /** ASCII metadata: key → value, or values sent in order. */
  readonly ascii?: Readonly<Record<string, string | readonly string[]>>;
  /** Binary metadata: key ending in `-bin` → bytes, or several values sent in order. */
  readonly binary?: Readonly<Record<BinaryMetadataKey, Uint8Array | readonly Uint8Array[]>>;
  /** The call's `x-request-id` (else the client makes one). */
  readonly requestId?: string;
  /** A bearer token, sent as `authorization: Bearer <token>` (overrides the client's). */
  readonly token?: string;
}

/**
 * Builds the `headers` call option from typed parts, checked up front: binary values are
 * base64-encoded under `-bin` keys, and reserved or malformed keys (`grpc-*`,
 * `content-type`, an ASCII key with a non-ASCII value, …) throw a `ConnectError` with
 * INVALID_ARGUMENT naming the key.
 *
 * @example
 * const headers = createCallHeaders({
 *   ascii: { "x-tenant": "acme" },
 *   binary: { "x-trace-bin": new Uint8Array([1, 2, 3]) },
 *   requestId: "req-42",
 *   token,
 * });
 * await client.sayHello({ greeting: "hi" }, { headers });
 */
export function createCallHeaders(init: CallHeadersInit): Headers {
  const headers = new Headers();
  for (const [key, values] of Object.entries(init.ascii ?? {})) {
    for (const value of typeof values === "string" ? [values] : values) {
      headers.append(key, value);
    }
  }
  for (const [key, values] of Object.entries<Uint8Array | readonly Uint8Array[]>(init.binary ?? {})) {
    for (const value of values instanceof Uint8Array ? [values] : values) {
      appendBinaryHeader(headers, key, value);
    }
  }
  if (init.requestId !== undefined) {
    if (init.requestId === "") {
      throw new ConnectError("the request id must not be empty", Code.InvalidArgument);
    }
    headers.set(REQUEST_ID_HEADER, init.requestId);
  }
  if (init.token !== undefined) {
    headers.set(AUTHORIZATION_HEADER, bearerAuthorization(init.token));
  }
  const error = requestMetadataError(headers);
  if (error !== undefined) {
    throw error;
  }
  return headers;
}
