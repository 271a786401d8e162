import type * as http from "node:http";
import type * as http2 from "node:http2";
import * as net from "node:net";

/** The connection preface every HTTP/2 client sends first (RFC 9113, section 3.4). */
const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** Options of {@link createSharedPortServer}. */
export interface SharedPortServerOptions {
  /** Serves HTTP/1.1 requests. */
  http1: http.Server;
  /** Serves HTTP/2 sessions (prior knowledge, cleartext). */
  http2: http2.Http2Server;
  /**
   * A connection that has not sent enough bytes to tell HTTP/1.1 from HTTP/2 within this
   * time is closed. Default 10 s.
   */
  firstBytesTimeoutMs?: number;
}

/**
 * A cleartext TCP server that serves HTTP/1.1 and HTTP/2 with prior knowledge (h2c) on one
 * port: it reads the first bytes of each connection, and hands the socket to the HTTP/2
 * server when they are the HTTP/2 preface, else to the HTTP/1.1 server.
 *
 * Node has no such server built in (`allowHTTP1` only works with TLS, where ALPN decides),
 * and no well-kept package does this, so it is written here.
 */
export function createSharedPortServer(options: SharedPortServerOptions): net.Server {
  const timeoutMs = options.firstBytesTimeoutMs ?? 10_000;
  return net.createServer({ pauseOnConnect: true }, (socket) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    timer.unref();

    const finish = (server: "http1" | "http2") => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("error", onEarlyError);
      socket.off("close", onEarlyClose);
      socket.pause();
      // Put the peeked bytes back so the chosen server parses the stream from the start.
      socket.unshift(Buffer.concat(chunks, length));
      if (server === "http2") {
        options.http2.emit("connection", socket);
      } else {
        options.http1.emit("connection", socket);
        socket.resume();
      }
    };

    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      const seen = Buffer.concat(chunks, length);
      const n = Math.min(seen.length, HTTP2_PREFACE.length);
      if (!seen.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n))) {
        finish("http1");
      } else if (n === HTTP2_PREFACE.length) {
        finish("http2");
      }
      // Otherwise: a prefix of the preface so far; wait for more bytes.
    };
    const onEarlyError = () => socket.destroy();
    const onEarlyClose = () => clearTimeout(timer);

    socket.on("data", onData);
    socket.on("error", onEarlyError);
    socket.on("close", onEarlyClose);
    socket.resume();
  });
}
