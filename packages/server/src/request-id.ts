import { randomUUID } from "node:crypto";
import { createContextKey } from "@connectrpc/connect";

/** The header that carries a call's request id, in both directions. */
export const REQUEST_ID_HEADER = "x-request-id";

/** Context key under which handlers and interceptors find the call's request id. */
export const requestIdKey = createContextKey<string>("", { description: "request id" });

// Visible ASCII without spaces, bounded: a client id is echoed into headers and logs.
const VALID_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The request id of a call: the client's `x-request-id` when it is a sane token
 * (1–128 visible ASCII characters), otherwise a fresh UUID.
 */
export function requestIdFrom(header: string | string[] | undefined): string {
  const given = Array.isArray(header) ? header[0] : header;
  return given !== undefined && VALID_REQUEST_ID.test(given) ? given : randomUUID();
}
