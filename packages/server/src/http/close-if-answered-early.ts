import type * as net from "node:net";
import { lingerOnClose } from "./linger-on-close.js";
import { releaseUnreadRequest } from "./release-unread-request.js";
import type { NodeRequest, NodeResponse } from "./write-rpc-error.js";

/**
 * Call right before an HTTP/1.1 response's `writeHead`. A response that starts before a
 * large request has been read to the end (answered early, e.g. over the size limit) says
 * `connection: close`, and node:http closes the connection after it, gently (see
 * `lingerOnClose`): no next call may go on a connection whose previous upload is still
 * arriving, and a client that waits for its upload to finish before reading would
 * otherwise wait on it. A small remainder (a declared length up to
 * {@link EARLY_ANSWER_DRAIN_BYTES}) is drained instead and the connection kept: closing
 * under a client still writing fails its call with a broken pipe instead of the answer.
 * connect's path and the fast path decide it the same way, here.
 */
export function closeIfAnsweredEarly(req: NodeRequest, res: NodeResponse): void {
  if (lingerIfAnsweredEarly(req, res)) res.setHeader("connection", "close");
}

/**
 * {@link closeIfAnsweredEarly} for a caller that writes the `connection: close` header
 * itself (in its place among the response's other headers): true when the response must
 * carry it, and the connection then closes gently after the response.
 */
export function lingerIfAnsweredEarly(req: NodeRequest, res: NodeResponse): boolean {
  if ((req as { complete?: boolean }).complete || res.headersSent || smallBody(req)) return false;
  // The response's socket: the request's is gone once connect stopped reading it.
  const socket = (res as { socket?: unknown }).socket;
  if (socket) lingerOnClose(socket as net.Socket);
  return true;
}

/** Request bodies up to this size are drained after an early answer rather than cut off by closing. */
const EARLY_ANSWER_DRAIN_BYTES = 64 * 1024;

function smallBody(req: NodeRequest): boolean {
  const length = Number(req.headers["content-length"]);
  return Number.isFinite(length) && length <= EARLY_ANSWER_DRAIN_BYTES;
}

/**
 * After an HTTP/1.1 response: a request the call did not read to its end (answered early,
 * e.g. over the size limit) is drained, never cut off — an HTTP/1.1 client may read the
 * answer only once its upload is done, and ending the connection under it fails the call
 * instead; node:http's own request timeout bounds a client that never finishes.
 */
export function releaseRequest(req: NodeRequest): void {
  if (req.readableEnded || "stream" in req) return;
  releaseUnreadRequest(req);
}
