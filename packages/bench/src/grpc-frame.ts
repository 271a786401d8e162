/**
 * The gRPC length-prefixed message framing, shared by gRPC and gRPC-Web: one flag byte
 * (bit 0: compressed; bit 7: gRPC-Web trailers), a 4-byte big-endian length, the bytes.
 * See https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md#requests
 */

/** Flag of a gRPC-Web frame that carries the trailers instead of a message. */
export const TRAILER_FLAG = 0x80;

/** One frame of a gRPC or gRPC-Web body. */
export interface GrpcFrame {
  flags: number;
  data: Buffer;
}

/** Frames one message (uncompressed), or a gRPC-Web trailer block when `flags` is 0x80. */
export function grpcFrame(message: Uint8Array, flags = 0): Buffer {
  const framed = Buffer.allocUnsafe(5 + message.byteLength);
  framed.writeUInt8(flags, 0);
  framed.writeUInt32BE(message.byteLength, 1);
  framed.set(message, 5);
  return framed;
}

/** A gRPC-Web trailer frame: HTTP/1-style `key: value\r\n` lines. */
export function grpcWebTrailerFrame(trailers: Record<string, string>): Buffer {
  const text = Object.entries(trailers)
    .map(([key, value]) => `${key}: ${value}\r\n`)
    .join("");
  return grpcFrame(Buffer.from(text, "latin1"), TRAILER_FLAG);
}

/**
 * Splits a body into its frames. Returns undefined when the body is not a whole number of
 * frames (a truncated or unframed body).
 */
export function grpcUnframe(body: Uint8Array): GrpcFrame[] | undefined {
  const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const frames: GrpcFrame[] = [];
  let at = 0;
  while (at + 5 <= buffer.length) {
    const length = buffer.readUInt32BE(at + 1);
    if (at + 5 + length > buffer.length) return undefined;
    frames.push({ flags: buffer.readUInt8(at), data: buffer.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return at === buffer.length ? frames : undefined;
}

/** Parses a gRPC-Web trailer block (`key: value` lines) into lower-cased keys. */
export function parseTrailerBlock(data: Uint8Array): Record<string, string> {
  const trailers: Record<string, string> = {};
  for (const line of Buffer.from(data).toString("latin1").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return trailers;
}

/**
 * Splits the whole frames off the front of bytes read so far: the frames, and the bytes of
 * a frame not yet complete (empty when the bytes end on a frame boundary). For a body that
 * arrives in chunks, as a bidi stream's does: prepend `rest` to the next chunk.
 */
export function takeFrames(bytes: Buffer): { frames: GrpcFrame[]; rest: Buffer } {
  const frames: GrpcFrame[] = [];
  let at = 0;
  while (at + 5 <= bytes.length) {
    const length = bytes.readUInt32BE(at + 1);
    if (at + 5 + length > bytes.length) break;
    frames.push({ flags: bytes.readUInt8(at), data: bytes.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return { frames, rest: bytes.subarray(at) };
}
