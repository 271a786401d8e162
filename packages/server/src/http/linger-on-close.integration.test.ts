/**
 * HTTP/1.1 early answers with an upload of unknown length still arriving (a chunked client
 * stream whose next message is over the limit, as in the conformance suite's
 * "subsequent-request-exceeds-server-limit"): the answer says `connection: close`, and the
 * server reads on while the client finishes its upload, so the client never writes into a
 * reset connection (EPIPE, ECONNRESET); a client that never finishes is cut off after the
 * grace time.
 */
import * as net from "node:net";
import { createHelloServer, type Server } from "../server.js";
import { UNREAD_REQUEST_GRACE_MS } from "./release-unread-request.js";

const LIMIT = 64 * 1024;
/** Far longer than the grace time, far shorter than any client's own timeout. */
const BOUND_MS = 8_000;

function chunk(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from("\r\n")]);
}

function envelope(length: number, data = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(length, 1);
  return Buffer.concat([header, data]);
}

interface Outcome {
  /** The raw response, headers and body. */
  response: string;
  /** What the client's socket failed with, if it did (a write into a reset connection). */
  error: string | undefined;
  /** Bytes of the over-limit message the client got to write. */
  uploaded: number;
  /** When the server's FIN and the socket's close came, after the request started. */
  endedMs: number | undefined;
  closedMs: number;
}

/**
 * A chunked Connect client stream (LotsOfGreetings): one small message, then the header of
 * one over the limit, then its bytes, 8 KiB every 10 ms. `finish`: the whole message and
 * the last chunk, as a client that writes its upload before reading does; else it goes on
 * writing until the connection is gone.
 */
function uploadPastTheLimit(port: number, finish: boolean): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // allowHalfOpen: the server's FIN must not end the client's upload; only the server's
    // reset could.
    const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    let response = "";
    let error: string | undefined;
    let uploaded = 0;
    let endedMs: number | undefined;
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the connection was still open after ${BOUND_MS} ms:\n${response}`));
    }, BOUND_MS);
    socket.on("data", (data: Buffer) => (response += data.toString("latin1")));
    socket.on("end", () => (endedMs = Date.now() - started));
    socket.on("error", (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
    socket.on("close", () => {
      clearInterval(ticker);
      clearTimeout(guard);
      resolve({ response, error, uploaded, endedMs, closedMs: Date.now() - started });
    });
    socket.write(
      "POST /hello.v1.HelloService/LotsOfGreetings HTTP/1.1\r\nhost: 127.0.0.1\r\n" +
        "content-type: application/connect+proto\r\nconnect-protocol-version: 1\r\ntransfer-encoding: chunked\r\n\r\n",
    );
    // HelloRequest { greeting: "a" }, then the header of a message 10 bytes over the limit.
    socket.write(chunk(envelope(3, Buffer.from([0x0a, 0x01, 0x61]))));
    socket.write(chunk(envelope(LIMIT + 10)));
    const ticker = setInterval(() => {
      if (socket.destroyed) return;
      if (finish && uploaded >= LIMIT + 10) {
        clearInterval(ticker);
        socket.end("0\r\n\r\n");
        return;
      }
      const size = finish ? Math.min(8 * 1024, LIMIT + 10 - uploaded) : 8 * 1024;
      uploaded += size;
      socket.write(chunk(Buffer.alloc(size, 1)));
    }, 10);
  });
}

describe("an HTTP/1.1 request answered early while its upload of unknown length goes on", () => {
  let server: Server;
  beforeAll(async () => {
    server = createHelloServer({ port: 0, host: "127.0.0.1", readMaxBytes: LIMIT });
    await server.listen();
  });
  afterAll(() => server.close(1_000));

  it("lets a client that finishes its upload do so, then closes: RESOURCE_EXHAUSTED, no broken pipe", async () => {
    const outcome = await uploadPastTheLimit(server.port, true);
    expect(outcome.error).toBeUndefined();
    expect(outcome.uploaded).toBe(LIMIT + 10);
    expect(outcome.response).toMatch(/^HTTP\/1\.1 200 /);
    expect(outcome.response).toMatch(/\r\nconnection: close\r\n/i);
    expect(outcome.response).toContain('"code":"resource_exhausted"');
  });

  it("cuts off a client that never finishes, after the grace time", async () => {
    const outcome = await uploadPastTheLimit(server.port, false);
    expect(outcome.response).toContain('"code":"resource_exhausted"');
    // The answer and the server's FIN come at once; the reset only after the grace time
    // (timers fire late on a busy machine, never early).
    expect(outcome.endedMs).toBeDefined();
    expect(outcome.closedMs - (outcome.endedMs ?? 0)).toBeGreaterThanOrEqual(UNREAD_REQUEST_GRACE_MS - 50);
    expect(outcome.uploaded).toBeGreaterThan(LIMIT + 10);
  });

  it("goes on serving on a new connection", async () => {
    const response = await new Promise<string>((resolve, reject) => {
      const socket = net.connect({ port: server.port, host: "127.0.0.1" });
      let text = "";
      socket.on("data", (data: Buffer) => (text += data.toString("latin1")));
      socket.on("error", reject);
      socket.on("end", () => resolve(text));
      const body = JSON.stringify({ greeting: "after" });
      socket.write(
        "POST /hello.v1.HelloService/SayHello HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n" +
          `connection: close\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
      );
    });
    expect(response).toContain("Hello, after!");
  });
});
