import * as http2 from "node:http2";
import { gunzipSync } from "node:zlib";

/** One raw HTTP/2 exchange, as seen on the wire. */
export interface RawResponse {
  status: number;
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  body: Buffer;
}

/** Frames messages the gRPC way: 1 flag byte (compressed?), 4 bytes big-endian length, bytes. */
export function grpcFrame(message: Uint8Array, compressed = false): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(compressed ? 1 : 0, 0);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/** Splits a gRPC (or gRPC-Web) body into its frames; gunzips compressed ones. */
export function grpcUnframe(body: Buffer): { flags: number; data: Buffer }[] {
  const frames: { flags: number; data: Buffer }[] = [];
  let at = 0;
  while (at + 5 <= body.length) {
    const flags = body.readUInt8(at);
    const length = body.readUInt32BE(at + 1);
    const raw = body.subarray(at + 5, at + 5 + length);
    frames.push({ flags, data: flags & 1 ? gunzipSync(raw) : raw });
    at += 5 + length;
  }
  return frames;
}

/** Encodes a HelloRequest by hand (field 1, greeting), independent of any library. */
export function helloRequestBytes(greeting: string): Buffer {
  const text = Buffer.from(greeting, "utf8");
  return Buffer.concat([Buffer.from([0x0a]), varint(text.length), text]);
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

/**
 * Sends one HTTP/2 request with prior knowledge and collects the whole response, trailers
 * included. `body` may be sent in several writes to simulate slow or truncated peers.
 */
export function rawHttp2Request(
  baseUrl: string,
  path: string,
  headers: http2.OutgoingHttpHeaders,
  body: Buffer | Buffer[],
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(baseUrl);
    session.on("error", reject);
    const req = session.request({ ":method": "POST", ":path": path, ...headers });
    const chunks: Buffer[] = [];
    let status = 0;
    let responseHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    req.on("response", (h) => {
      status = Number(h[":status"]);
      responseHeaders = h;
    });
    req.on("trailers", (t) => {
      trailers = t;
    });
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", (e) => {
      session.close();
      reject(e);
    });
    req.on("end", () => {
      session.close();
      resolve({ status, headers: responseHeaders, trailers, body: Buffer.concat(chunks) });
    });
    for (const part of Array.isArray(body) ? body : [body]) req.write(part);
    req.end();
  });
}

/** The gRPC status of a raw response: from trailers, or from headers when trailers-only. */
export function grpcStatusOf(res: RawResponse): { code: number; message: string } {
  const source = res.trailers["grpc-status"] !== undefined ? res.trailers : res.headers;
  return {
    code: Number(source["grpc-status"]),
    message: decodeURIComponent(String(source["grpc-message"] ?? "")),
  };
}
