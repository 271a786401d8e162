import * as net from "node:net";

/**
 * A hand-rolled HTTP/2 client for hostile-input tests: frames are built byte by byte
 * (RFC 9113, section 4.1) and header blocks are HPACK literals without indexing (RFC 7541,
 * section 6.2.2), so a test can send what no well-behaved client library would — a
 * HEADERS + RST_STREAM flood, a CONTINUATION flood, a truncated frame.
 */

/** HTTP/2 frame types (RFC 9113, section 6). */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

/** Frame flags (RFC 9113, section 6). */
export const FrameFlag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 } as const;

/** HTTP/2 error codes (RFC 9113, section 7). */
export const H2Error = { NO_ERROR: 0x0, PROTOCOL_ERROR: 0x1, CANCEL: 0x8, ENHANCE_YOUR_CALM: 0xb } as const;

/** The client connection preface (RFC 9113, section 3.4). */
export const CLIENT_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** One frame: 9-byte header (24-bit length, type, flags, 31-bit stream id) and payload. */
export function frame(type: number, flags: number, streamId: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head.writeUInt8(type, 3);
  head.writeUInt8(flags, 4);
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** A SETTINGS frame with the given (identifier, value) pairs; none for an empty one. */
export function settingsFrame(settings: readonly [number, number][] = [], ack = false): Buffer {
  const payload = Buffer.alloc(6 * settings.length);
  settings.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, 6 * i);
    payload.writeUInt32BE(value, 6 * i + 2);
  });
  return frame(FrameType.SETTINGS, ack ? FrameFlag.ACK : 0, 0, payload);
}

/** RST_STREAM with an error code. */
export function rstStreamFrame(streamId: number, code: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(code, 0);
  return frame(FrameType.RST_STREAM, 0, streamId, payload);
}

/** A PING with 8 bytes of opaque data. */
export function pingFrame(data = Buffer.alloc(8)): Buffer {
  return frame(FrameType.PING, 0, 0, data);
}

/** An HPACK integer with an n-bit prefix (RFC 7541, section 5.1), first byte ORed with `mask`. */
function hpackInteger(value: number, prefixBits: number, mask: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([mask | value]);
  const bytes = [mask | max];
  value -= max;
  while (value >= 128) {
    bytes.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  bytes.push(value);
  return Buffer.from(bytes);
}

/** An HPACK string literal, not Huffman-coded. */
function hpackString(text: string): Buffer {
  const bytes = Buffer.from(text, "latin1");
  return Buffer.concat([hpackInteger(bytes.length, 7, 0), bytes]);
}

/**
 * A header block of "literal header field without indexing — new name" representations:
 * the decoder's dynamic table is never touched, so every block decodes on its own.
 */
export function headerBlock(headers: readonly [string, string][]): Buffer {
  return Buffer.concat(headers.flatMap(([name, value]) => [Buffer.from([0x00]), hpackString(name), hpackString(value)]));
}

/** The request headers of a gRPC call to `path` on 127.0.0.1. */
export function grpcRequestHeaders(path: string): [string, string][] {
  return [
    [":method", "POST"],
    [":scheme", "http"],
    [":authority", "127.0.0.1"],
    [":path", path],
    ["content-type", "application/grpc"],
    ["te", "trailers"],
  ];
}

/** A frame as received, with its payload. */
export interface ReceivedFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/** A raw HTTP/2 connection: write bytes, read frames as they come. */
export interface RawHttp2Connection {
  readonly socket: net.Socket;
  /** Every frame received so far, in order. */
  readonly frames: ReceivedFrame[];
  /** Resolves when the socket has closed (either side). */
  readonly closed: Promise<void>;
  /** Writes bytes; resolves once they are handed to the kernel (false if the socket is gone). */
  write(bytes: Buffer): Promise<boolean>;
  /** Resolves with the first received frame that matches, or undefined after `timeoutMs` or at close. */
  waitFor(match: (frame: ReceivedFrame) => boolean, timeoutMs: number): Promise<ReceivedFrame | undefined>;
  /** The error code of the GOAWAY received, if any. */
  goawayCode(): number | undefined;
  close(): void;
}

/**
 * Opens a TCP connection to 127.0.0.1:`port` and, unless `preface` is false, sends the
 * client preface and an empty SETTINGS frame (and acknowledges the server's SETTINGS).
 */
export function connectRawHttp2(port: number, { preface = true } = {}): Promise<RawHttp2Connection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    const frames: ReceivedFrame[] = [];
    const waiters = new Set<() => void>();
    let pending = Buffer.alloc(0);
    let isClosed = false;
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    socket.once("close", () => {
      isClosed = true;
      for (const wake of waiters) wake();
    });
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 9) {
        const length = pending.readUIntBE(0, 3);
        if (pending.length < 9 + length) break;
        const received: ReceivedFrame = {
          type: pending.readUInt8(3),
          flags: pending.readUInt8(4),
          streamId: pending.readUInt32BE(5) & 0x7fffffff,
          payload: pending.subarray(9, 9 + length),
        };
        pending = pending.subarray(9 + length);
        frames.push(received);
        if (received.type === FrameType.SETTINGS && !(received.flags & FrameFlag.ACK)) {
          socket.write(settingsFrame([], true));
        }
        for (const wake of waiters) wake();
      }
    });
    const connection: RawHttp2Connection = {
      socket,
      frames,
      closed,
      write: (bytes) =>
        new Promise((done) => {
          if (socket.destroyed || !socket.writable) return done(false);
          socket.write(bytes, (error) => done(!error));
        }),
      waitFor(match, timeoutMs) {
        return new Promise((done) => {
          let seen = 0;
          const check = () => {
            for (; seen < frames.length; seen++) {
              const f = frames[seen] as ReceivedFrame;
              if (match(f)) return finish(f);
            }
            if (isClosed) finish(undefined);
          };
          const timer = setTimeout(() => finish(undefined), timeoutMs);
          const finish = (f: ReceivedFrame | undefined) => {
            clearTimeout(timer);
            waiters.delete(check);
            done(f);
          };
          waiters.add(check);
          check();
        });
      },
      goawayCode() {
        const goaway = frames.find((f) => f.type === FrameType.GOAWAY);
        return goaway?.payload.readUInt32BE(4);
      },
      close: () => socket.destroy(),
    };
    socket.once("connect", () => {
      socket.off("error", reject);
      if (preface) socket.write(Buffer.concat([CLIENT_PREFACE, settingsFrame()]));
      resolve(connection);
    });
    socket.once("error", reject);
  });
}
