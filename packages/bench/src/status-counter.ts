import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { TRAILER_FLAG } from "./grpc-frame.js";

/** Statuses a server process wrote, by value. */
export interface StatusCounts {
  /** Status of every HTTP/2 and HTTP/1.1 response, e.g. { "200": 51234 }. */
  http: Record<string, number>;
  /**
   * `grpc-status` of every gRPC and gRPC-Web call, wherever it travelled: trailers,
   * trailers-only headers, or a gRPC-Web trailer frame in the body.
   */
  grpc: Record<string, number>;
}

type StreamMethods = {
  respond(headers?: http2.OutgoingHttpHeaders, options?: http2.ServerStreamResponseOptions): void;
  sendTrailers(headers: http2.OutgoingHttpHeaders): void;
  write(chunk: unknown, ...rest: unknown[]): boolean;
  end(...args: unknown[]): unknown;
};

/**
 * Counts every status a server in this process writes, whatever library wrote it, by
 * wrapping four methods of `node:http2`'s server stream class (the layer connect-node's
 * compatibility API, @grpc/grpc-js and a raw handler all end up in). It lets the bench
 * prove afterwards that no timed call failed with an HTTP 200 and a non-zero grpc-status,
 * which h2load cannot see. HTTP/1.1 responses are counted the same way at `node:http`'s
 * `ServerResponse` (`writeHead`, which an implicit header goes through too, `write`, `end`).
 * Cost: a few property reads per call, the same for every variant.
 */
export async function installStatusCounter(): Promise<StatusCounts> {
  const counts: StatusCounts = { http: {}, grpc: {} };
  const bump = (table: Record<string, number>, key: unknown) => {
    const k = String(key);
    table[k] = (table[k] ?? 0) + 1;
  };
  const fromHeaders = (headers: unknown) => {
    if (headers === null || typeof headers !== "object" || Array.isArray(headers)) return;
    const h = headers as Record<string, unknown>;
    if (h[":status"] !== undefined) bump(counts.http, h[":status"]);
    if (h["grpc-status"] !== undefined) bump(counts.grpc, h["grpc-status"]);
  };
  // gRPC-Web carries its status in a trailer frame (flag 0x80) at the end of the body.
  // A body is a Uint8Array, or a latin1 string of the same bytes (how our HTTP/1.1 fast path
  // hands node:http a small body so that it goes out in one write with the header).
  const fromBody = (chunk: unknown, encoding?: unknown) => {
    let bytes: (at: number) => number;
    let text: (from: number, length: number) => string;
    if (chunk instanceof Uint8Array) {
      bytes = (at) => chunk[at]!;
      text = (from, length) => Buffer.from(chunk.buffer, chunk.byteOffset + from, length).toString("latin1");
    } else if (typeof chunk === "string" && encoding === "latin1") {
      bytes = (at) => chunk.charCodeAt(at);
      text = (from, length) => chunk.slice(from, from + length);
    } else {
      return;
    }
    const size = chunk.length;
    let at = 0;
    while (at + 5 <= size) {
      const length = ((bytes(at + 1) << 24) | (bytes(at + 2) << 16) | (bytes(at + 3) << 8) | bytes(at + 4)) >>> 0;
      if (at + 5 + length > size) return;
      if (bytes(at) === TRAILER_FLAG) {
        const match = /grpc-status:\s*(\d+)/i.exec(text(at + 5, length));
        bump(counts.grpc, match?.[1] ?? "missing");
      }
      at += 5 + length;
    }
  };

  const proto = (await serverStreamPrototype()) as StreamMethods;
  const { respond, sendTrailers, write, end } = proto;
  proto.respond = function (this: StreamMethods, headers, options) {
    fromHeaders(headers);
    return respond.call(this, headers, options);
  };
  proto.sendTrailers = function (this: StreamMethods, headers) {
    fromHeaders(headers);
    return sendTrailers.call(this, headers);
  };
  proto.write = function (this: StreamMethods, chunk, ...rest) {
    fromBody(chunk);
    return write.call(this, chunk, ...rest);
  };
  proto.end = function (this: StreamMethods, ...args) {
    if (typeof args[0] !== "function") fromBody(args[0]);
    return end.apply(this, args);
  };
  const h1 = http.ServerResponse.prototype as unknown as {
    writeHead(...args: unknown[]): unknown;
    write(chunk: unknown, ...rest: unknown[]): boolean;
    end(...args: unknown[]): unknown;
  };
  const { writeHead: writeHead1, write: write1, end: end1 } = h1;
  h1.writeHead = function (this: unknown, ...args: unknown[]) {
    bump(counts.http, args[0]);
    return writeHead1.apply(this, args);
  };
  h1.write = function (this: unknown, chunk, ...rest) {
    fromBody(chunk, rest[0]);
    return write1.call(this, chunk, ...rest);
  };
  h1.end = function (this: unknown, ...args: unknown[]) {
    if (typeof args[0] !== "function") fromBody(args[0], args[1]);
    return end1.apply(this, args);
  };
  return counts;
}

/** `ServerHttp2Stream.prototype`, which node:http2 does not export: taken from one loopback call. */
function serverStreamPrototype(): Promise<object> {
  return new Promise((resolve, reject) => {
    const server = http2.createServer();
    server.on("stream", (stream) => {
      resolve(Object.getPrototypeOf(stream) as object);
      stream.respond({ ":status": 204 }, { endStream: true });
    });
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const client = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      client.on("error", reject);
      const req = client.request({ ":path": "/" });
      req.on("close", () => {
        client.close();
        server.close();
      });
      req.resume();
      req.end();
    });
  });
}
