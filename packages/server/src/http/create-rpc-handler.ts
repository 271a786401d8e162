import { Code, ConnectError, type ConnectRouter, type ContextValues } from "@connectrpc/connect";
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import { endStreamWithLastData } from "./end-stream-with-last-data.js";
import { closeIfAnsweredEarly, releaseRequest } from "./close-if-answered-early.js";
import { trailersOnlyWhenEmpty } from "./trailers-only-when-empty.js";
import { releaseUnreadStream } from "./release-unread-request.js";
import { type NodeRequest, type NodeResponse, protocolOf } from "./write-rpc-error.js";

/** Options of {@link createRpcHandler}. */
export interface RpcHandlerOptions {
  /** The router every service is registered on, with its options (interceptors, limits, …). */
  router: ConnectRouter;
  /** Answers requests for paths no service handles. */
  fallback: (req: NodeRequest, res: NodeResponse) => void;
  /** Context values for each call, from its request. */
  contextValues?: (req: NodeRequest) => ContextValues;
  /**
   * Sees failures to write a response that are not the client's doing. A client that
   * cancels, times out or drops its connection mid-response is normal operation and is
   * not reported.
   */
  onResponseError?: (error: ConnectError, procedure: string) => void;
}

// Node error codes that mean the peer is gone: the response has nowhere to go.
const CLIENT_GONE = new Set([
  "ERR_STREAM_DESTROYED",
  "ERR_HTTP2_INVALID_STREAM",
  "ERR_HTTP2_STREAM_ERROR",
  "ERR_STREAM_PREMATURE_CLOSE",
  "ERR_STREAM_WRITE_AFTER_END",
  "ECONNRESET",
  "EPIPE",
]);

function isClientGone(reason: unknown, res: NodeResponse): boolean {
  if (res.destroyed) return true;
  // Duck-typed, not `instanceof Error`: Node's own errors come from another realm in some
  // hosts (jest's sandbox among them).
  for (let e: unknown = reason, depth = 0; typeof e === "object" && e !== null && depth < 8; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && CLIENT_GONE.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return ConnectError.from(reason).code === Code.Aborted;
}

/** Decides, as the response's headers go out, whether an HTTP/1.1 connection closes after it (see closeIfAnsweredEarly). */
function closeWhenAnsweredEarly(req: NodeRequest, res: NodeResponse): void {
  const writeHead = res.writeHead as (...args: unknown[]) => unknown;
  (res as { writeHead: unknown }).writeHead = function writeHeadClosing(this: NodeResponse, ...args: unknown[]) {
    closeIfAnsweredEarly(req, res);
    return writeHead.apply(this, args);
  };
}

/**
 * connect's Node adapter (`connectNodeAdapter`), with one difference: it does not
 * `console.error` every response that could not be written because the client went away
 * (a cancelled stream, a passed deadline); other write failures go to `onResponseError`.
 * Built from connect-node's exported building blocks, so the protocols are connect's own.
 */
export function createRpcHandler(options: RpcHandlerOptions): (req: NodeRequest, res: NodeResponse) => void {
  // Read once: a later registration of a path replaces an earlier one, as in connect's adapter.
  const handlers = new Map(options.router.handlers.map((h) => [h.requestPath, h]));
  return (req, res) => {
    const url = req.url ?? "";
    const q = url.indexOf("?");
    const handler = handlers.get(q < 0 ? url : url.slice(0, q));
    if (!handler) {
      options.fallback(req, res);
      return;
    }
    const uReq = universalRequestFromNodeRequest(req, res, undefined, options.contextValues?.(req));
    // When the response is written, not when the write below resolves: that waits for the
    // stream to close, which a client still sending the request keeps from happening. On
    // HTTP/2 the stream's own 'finish' (the compatibility API's response emits it only at
    // close), and the stream itself: the request object is destroyed when connect stops
    // reading it, the stream is not.
    if ("stream" in res) {
      if (protocolOf(req) !== "grpc") endStreamWithLastData(res.stream);
      else trailersOnlyWhenEmpty(res);
      res.stream.once("finish", () => releaseUnreadStream(res.stream));
    } else {
      closeWhenAnsweredEarly(req, res);
      res.once("finish", () => releaseRequest(req));
    }
    handler(uReq)
      .then((uRes) => universalResponseToNodeResponse(uRes, res))
      .catch((reason: unknown) => {
        if (isClientGone(reason, res)) return;
        options.onResponseError?.(ConnectError.from(reason), handler.requestPath);
      });
  };
}
