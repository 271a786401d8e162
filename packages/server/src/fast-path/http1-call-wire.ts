import type * as http from "node:http";
import type * as http2 from "node:http2";
import { lingerIfAnsweredEarly, releaseRequest } from "../http/close-if-answered-early.js";
import type { CallWire } from "./call-wire.js";
import { type HeaderSource, nodeTrailersOf } from "./http2-response.js";

/** Bodies up to this size go out in one write with the response header (see respondWithBody). */
const ONE_WRITE_MAX_BYTES = 16 * 1024;

/**
 * A fast-path call's wire on a `node:http` request and response (HTTP/1.1). The answer is
 * written as connect-node's `universalResponseToNodeResponse` writes it — `writeHead(status,
 * webHeaderToNodeHeaders(headers))` over what the server's handler set with `setHeader`, then
 * the body — with one difference: the whole body is known, so it always goes with a
 * `content-length` (connect declares one for Connect unary; its gRPC-Web answers go chunked).
 * The handler's headers come as the call's base headers instead of
 * `setHeader` calls, in the order and with the values `setHeader` would give them, so
 * node:http validates each header once. Keep-alive is node:http's; an answer given before
 * the request was read to its end closes the connection or drains the rest, as on connect's
 * path (`lingerIfAnsweredEarly`).
 */
class Http1CallWire implements CallWire {
  readonly carriesTrailers = false;
  constructor(
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
  ) {}

  onData(listener: (chunk: Buffer) => void): void {
    this.req.on("data", listener);
  }
  onEnd(listener: () => void): void {
    this.req.on("end", listener);
  }
  get gone(): boolean {
    return this.res.destroyed;
  }
  respondWithBody(status: number, base: Readonly<http2.OutgoingHttpHeaders>, headers: HeaderSource, body: Uint8Array): void {
    const { req, res } = this;
    if (res.destroyed || res.headersSent) return;
    try {
      const nodeHeaders = orderedNodeHeaders(base, lingerIfAnsweredEarly(req, res), headers);
      nodeHeaders["content-length"] ??= body.byteLength;
      res.writeHead(status, nodeHeaders);
      // A small body goes as a latin1 string (the same bytes): node:http then sends it in
      // one write with the header, where a Buffer goes out as a writev of the header string
      // and the buffer, which costs more per response in Node's stream and socket code
      // (docs/performance.md).
      if (body.byteLength <= ONE_WRITE_MAX_BYTES) {
        res.end(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("latin1"), "latin1");
      } else {
        res.end(body);
      }
    } catch {
      // Headers node:http refuses (a value with a line break, set by a handler): the call
      // cannot be answered; close the connection rather than leave the client waiting.
      res.destroy();
    }
  }
  respondWithTrailers(): void {
    throw new Error("gRPC needs HTTP/2 on the fast path");
  }
  respondWithoutMessage(): void {
    throw new Error("gRPC needs HTTP/2 on the fast path");
  }
  abandon(): void {
    this.res.destroy();
  }
  releaseUnread(): void {
    const { req, res } = this;
    if (req.readableEnded) return;
    // After the answer, as connect's path does it: until then the request stays as unread
    // as it is there, which is what decides `connection: close` (closeIfAnsweredEarly).
    if (res.writableFinished) releaseRequest(req);
    else res.once("finish", () => releaseRequest(req));
  }
}

/** The wire of a fast-path call on a `node:http` request and response. */
export function createHttp1CallWire(req: http.IncomingMessage, res: http.ServerResponse): CallWire {
  return new Http1CallWire(req, res);
}

/**
 * The response's headers as node:http would send them had `base` and `connection: close`
 * (when `close`) been set with `setHeader` before `writeHead(status, headers)`: `base` in its
 * order, then `connection`, then `headers` sorted by name (connect-node writes them so over
 * HTTP/1.1: `Headers` iterate sorted), each replacing the value of an earlier one of its
 * name in that one's place.
 */
function orderedNodeHeaders(base: Readonly<http2.OutgoingHttpHeaders>, close: boolean, headers: HeaderSource): http.OutgoingHttpHeaders {
  const call = nodeTrailersOf(headers);
  const out: http.OutgoingHttpHeaders = {};
  for (const name in base) out[name] = base[name];
  if (close) out.connection = "close";
  const names = Object.keys(call);
  if (names.length > 1) names.sort();
  for (const name of names) out[name] = call[name];
  return out;
}
