import type * as http from "node:http";
import type * as http2 from "node:http2";
import { Code } from "@connectrpc/connect";

/** A request/response pair from either `node:http` or the `node:http2` compatibility API. */
export type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;
/** See {@link NodeRequest}. */
export type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;

/** The wire protocol a request speaks, judged by its content type. */
export type RpcProtocol = "grpc" | "grpc-web" | "connect";

/** Tells which RPC protocol a request uses from its `content-type`. */
export function protocolOf(req: NodeRequest): RpcProtocol {
  const type = String(req.headers["content-type"] ?? "").toLowerCase();
  if (type.startsWith("application/grpc-web")) return "grpc-web";
  if (type.startsWith("application/grpc")) return "grpc";
  return "connect";
}

// Connect protocol: https://connectrpc.com/docs/protocol#error-codes
const connectHttpStatus: Partial<Record<Code, number>> = {
  [Code.Unimplemented]: 404,
  [Code.Unavailable]: 503,
  [Code.FailedPrecondition]: 412,
  [Code.InvalidArgument]: 400,
  [Code.ResourceExhausted]: 429,
  [Code.Internal]: 500,
};

const connectCodeName = (code: Code): string => Code[code].replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();

/**
 * Answers a request, outside any handler, with an RPC error in the request's own protocol:
 * a gRPC or gRPC-Web "trailers-only" response (HTTP 200, `grpc-status`, `grpc-message`),
 * a Connect streaming end-of-stream message (HTTP 200), or a Connect unary JSON error body
 * with the matching HTTP status (`httpStatus` overrides it). Used for unknown methods,
 * calls refused while shutting down, and requests the transport cannot carry.
 */
export function writeRpcError(req: NodeRequest, res: NodeResponse, code: Code, message: string, httpStatus?: number): void {
  // Read (and drop) the request before answering. Answering first makes Node reset the
  // HTTP/2 stream while the client is still sending, and gRPC C-core then reports
  // "Stream removed" (UNKNOWN) instead of our status. A client that keeps its stream open
  // gets the answer after a short wait all the same.
  if (!req.readableEnded) {
    let answered = false;
    const answer = () => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      writeNow(req, res, code, message, httpStatus);
    };
    const timer = setTimeout(answer, DRAIN_WAIT_MS);
    req.once("end", answer);
    req.once("error", answer);
    req.resume();
    return;
  }
  writeNow(req, res, code, message, httpStatus);
}

/** The envelope flag of Connect's end-of-stream message. */
const END_STREAM_FLAG = 0b10;

/** How long an error answer waits for the rest of the request before going out anyway. */
const DRAIN_WAIT_MS = 1_000;

function writeNow(req: NodeRequest, res: NodeResponse, code: Code, message: string, httpStatus?: number): void {
  if (res.headersSent || res.writableEnded) {
    res.end();
    return;
  }
  const protocol = protocolOf(req);
  const contentType = String(req.headers["content-type"] ?? "").toLowerCase();
  if (protocol === "connect" && contentType.startsWith("application/connect+")) {
    // Connect streaming: HTTP 200 and the error in the end-of-stream message, which is
    // where a streaming client reads it (https://connectrpc.com/docs/protocol#streaming-response).
    const json = Buffer.from(JSON.stringify({ error: { code: connectCodeName(code), message } }));
    const envelope = Buffer.alloc(5 + json.length);
    envelope.writeUInt8(END_STREAM_FLAG, 0);
    envelope.writeUInt32BE(json.length, 1);
    json.copy(envelope, 5);
    res.writeHead(200, {
      "content-type": contentType.startsWith("application/connect+json") ? "application/connect+json" : "application/connect+proto",
      "content-length": envelope.length,
    });
    res.end(envelope);
    return;
  }
  if (protocol === "connect") {
    const body = JSON.stringify({ code: connectCodeName(code), message });
    res.writeHead(httpStatus ?? connectHttpStatus[code] ?? 500, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
    return;
  }
  const headers = {
    "content-type": protocol === "grpc" ? "application/grpc+proto" : "application/grpc-web+proto",
    "grpc-status": String(code),
    // grpc-message is percent-encoded (gRPC over HTTP/2 spec).
    "grpc-message": encodeURIComponent(message),
  };
  if ("stream" in res && res.stream) {
    // A real "Trailers-Only" response: one HEADERS frame with END_STREAM. Node's
    // compatibility API would send HEADERS, then an empty DATA frame to end the stream,
    // which gRPC C-core reads as a response without trailers (UNKNOWN).
    res.stream.respond({ ...res.getHeaders(), ":status": 200, ...headers }, { endStream: true });
    return;
  }
  res.writeHead(200, headers);
  res.end();
}
