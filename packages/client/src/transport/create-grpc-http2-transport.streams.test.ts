import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import { HelloRequestSchema, HelloResponseSchema, HelloService } from "@hello/sdk";
import { createHelloServer, type HelloServer } from "@hello/server";
import { createGrpcHttp2Transport } from "./create-grpc-http2-transport.js";
import { createSessionManager } from "./create-session-manager.js";

/**
 * Client and bidi streams on the direct HTTP/2 transport (no connect transport behind it),
 * against the project's hello server and against scripted port-0 node:http2 servers for the
 * answers a real server gives only sometimes: trailers-only, an answer before the whole
 * request, a server that does not read.
 */

type Request = MessageInitShape<typeof HelloRequestSchema>;
const { NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR, NGHTTP2_NO_ERROR } = http2.constants;

const envelope = (bytes: Uint8Array) => {
  const out = Buffer.alloc(5 + bytes.byteLength);
  out.writeUInt32BE(bytes.byteLength, 1);
  out.set(bytes, 5);
  return out;
};
const replyFrame = (reply: string) => envelope(toBinary(HelloResponseSchema, create(HelloResponseSchema, { reply })));

/** The request messages whole in `body`, decoded. */
function requestsIn(body: Buffer): string[] {
  const greetings: string[] = [];
  for (let at = 0; at + 5 <= body.byteLength; ) {
    const length = body.readUInt32BE(at + 1);
    if (at + 5 + length > body.byteLength) break;
    greetings.push(fromBinary(HelloRequestSchema, body.subarray(at + 5, at + 5 + length)).greeting);
    at += 5 + length;
  }
  return greetings;
}

/** What a scripted server saw of one stream. */
interface SeenStream {
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
  /** The request ended with END_STREAM. */
  ended: boolean;
  /** RST_STREAM code the client sent, when it reset the stream. */
  rstCode: number | undefined;
}

/** A port-0 h2c server that runs `script` on each stream, and records what it saw. */
async function startScripted(script: (stream: http2.ServerHttp2Stream, seen: SeenStream) => void) {
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  const streams: Promise<SeenStream>[] = [];
  server.on("session", (session) => {
    sessions.add(session);
    session.on("error", () => undefined);
  });
  server.on("stream", (stream, headers) => {
    const seen: SeenStream = { headers, body: Buffer.alloc(0), ended: false, rstCode: undefined };
    const chunks: Buffer[] = [];
    // A reset ends the readable side too, after `aborted`: only an end before that is END_STREAM.
    let aborted = false;
    stream.on("error", () => undefined);
    stream.on("aborted", () => {
      aborted = true;
    });
    stream.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
    });
    stream.on("end", () => {
      seen.body = Buffer.concat(chunks);
      seen.ended = !aborted;
    });
    streams.push(
      new Promise((resolve) =>
        stream.on("close", () => {
          seen.body = Buffer.concat(chunks);
          if (stream.rstCode !== NGHTTP2_NO_ERROR && !stream.sentTrailers && !stream.endAfterHeaders) seen.rstCode = stream.rstCode;
          resolve(seen);
        }),
      ),
    );
    script(stream, seen);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    /** What the server saw of the `index`th stream, once it closed. */
    stream: (index: number) => streams[index]!,
    async close() {
      for (const session of sessions) session.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Sends the trailers, then resets the stream with NO_ERROR once they are out (as grpc-go does when it answers before the request ended). */
function trailersThenReset(stream: http2.ServerHttp2Stream, trailers: http2.OutgoingHttpHeaders) {
  stream.once("wantTrailers", () => {
    stream.sendTrailers(trailers);
    const resetWhenSent = () => {
      if ((stream.session?.state.outboundQueueSize ?? 0) > 0) setImmediate(resetWhenSent);
      else stream.close(NGHTTP2_NO_ERROR);
    };
    setImmediate(resetWhenSent);
  });
}

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A connect client of HelloService on the direct transport alone. */
function clientOf(baseUrl: string) {
  const sessionManager = createSessionManager(baseUrl, {});
  closers.push(() => sessionManager.abort());
  const transport = createGrpcHttp2Transport({ baseUrl, sessionManager });
  return createClient(HelloService, transport);
}

/** Request messages `greeting(i)` for i from 0, forever or `count` of them; `pulled` counts those taken; `finished` resolves when the generator is done with. */
function requests(greeting: (i: number) => string, count = Number.POSITIVE_INFINITY, pause?: () => Promise<void>) {
  const state = { pulled: 0, finished: undefined as unknown as Promise<void> };
  let finish!: () => void;
  state.finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  async function* generate(): AsyncGenerator<Request> {
    try {
      for (let i = 0; i < count; i++) {
        if (pause) await pause();
        state.pulled++;
        yield { greeting: greeting(i) };
      }
    } finally {
      finish();
    }
  }
  return { state, messages: generate() };
}

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );

describe("createGrpcHttp2Transport() client streams and bidi, against the hello server", () => {
  let server: HelloServer;
  beforeAll(async () => {
    server = createHelloServer({ port: 0, host: "127.0.0.1" });
    await server.listen();
  });
  afterAll(async () => {
    await server.close(1_000);
  });

  it("sends a client stream of 2,000 messages in order, and exposes the response headers and trailers", async () => {
    const client = clientOf(server.url);
    let header: Headers | undefined;
    let trailer: Headers | undefined;
    const { state, messages } = requests((i) => `g${i}`, 2_000);
    const res = await client.lotsOfGreetings(messages, {
      headers: { "x-echo-name": "value" },
      onHeader: (h) => {
        header = h;
      },
      onTrailer: (t) => {
        trailer = t;
      },
    });
    expect(res.reply).toBe(`Hello, ${Array.from({ length: 2_000 }, (_, i) => `g${i}`).join(", ")}!`);
    expect(state.pulled).toBe(2_000);
    expect(header?.get("x-echo-name")).toBe("value");
    expect(trailer?.get("x-reply-count")).toBe("1");
  });

  it("ping-pongs a bidi stream: each reply arrives before the next message is sent", async () => {
    const client = clientOf(server.url);
    const sends = createWritableIterable<Request>();
    const replies = client.bidiHello(sends)[Symbol.asyncIterator]();
    for (let i = 0; i < 20; i++) {
      void sends.write({ greeting: `ping ${i}` });
      const next = await replies.next();
      expect(next).toEqual({ done: false, value: expect.objectContaining({ reply: `Hello, ping ${i}!` }) });
    }
    sends.close();
    expect((await replies.next()).done).toBe(true);
  });
});

describe("createGrpcHttp2Transport() client streams and bidi, against scripted servers", () => {
  it("waits for drain: while the server does not read, it takes no more 1 MiB messages than the stream buffers, then sends all intact", async () => {
    let read!: () => void;
    const reading = new Promise<void>((resolve) => {
      read = resolve;
    });
    let gotHeaders!: () => void;
    const headersIn = new Promise<void>((resolve) => {
      gotHeaders = resolve;
    });
    const server = await startScripted((stream, seen) => {
      stream.pause();
      gotHeaders();
      void reading.then(() => stream.resume());
      stream.on("end", () => {
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(replyFrame(`${requestsIn(seen.body).length}`));
      });
    });
    closers.push(() => server.close());
    const client = clientOf(server.baseUrl);
    const big = (i: number) => String(i % 10).repeat(1024 * 1024);
    const { state, messages } = requests(big, 8);
    const reply = client.lotsOfGreetings(messages);
    await headersIn;
    // Give the writer every chance to run ahead: without waiting for drain it takes all 8.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(state.pulled).toBeLessThanOrEqual(2);
    read();
    expect((await reply).reply).toBe("8");
    const seen = await server.stream(0);
    expect(requestsIn(seen.body)).toEqual(Array.from({ length: 8 }, (_, i) => big(i)));
    expect(seen.ended).toBe(true);
  });

  it("fails with DEADLINE_EXCEEDED mid-stream: the stream is reset without END_STREAM and the request iterable is finished", async () => {
    const server = await startScripted(() => {
      // Reads, never answers.
    });
    closers.push(() => server.close());
    const client = clientOf(server.baseUrl);
    const { state, messages } = requests(
      (i) => `m${i}`,
      Number.POSITIVE_INFINITY,
      () => new Promise((resolve) => setTimeout(resolve, 5)),
    );
    const error = await errorOf(client.lotsOfGreetings(messages, { timeoutMs: 300 }));
    expect(error?.code).toBe(Code.DeadlineExceeded);
    const seen = await server.stream(0);
    expect(seen.headers["grpc-timeout"]).toBe("300m");
    expect([seen.ended, seen.rstCode]).toEqual([false, NGHTTP2_INTERNAL_ERROR]);
    expect(requestsIn(seen.body).length).toBeGreaterThan(0);
    await state.finished;
  });

  it("cancels mid-stream when the caller aborts: RST_STREAM(CANCEL) without END_STREAM, CANCELED, and the request iterable is finished", async () => {
    const server = await startScripted(() => {
      // Reads, never answers.
    });
    closers.push(() => server.close());
    const client = clientOf(server.baseUrl);
    const abort = new AbortController();
    const { state, messages } = requests(
      (i) => `m${i}`,
      Number.POSITIVE_INFINITY,
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 2));
        if (state.pulled === 10) abort.abort();
      },
    );
    const error = await errorOf(client.lotsOfGreetings(messages, { signal: abort.signal }));
    expect(error?.code).toBe(Code.Canceled);
    const seen = await server.stream(0);
    expect([seen.ended, seen.rstCode]).toEqual([false, NGHTTP2_CANCEL]);
    await state.finished;
  });

  it("takes a trailers-only error answered while the client still sends, with its metadata, and finishes the request iterable", async () => {
    const server = await startScripted((stream) => {
      stream.once("data", () => {
        stream.respond(
          { ":status": 200, "content-type": "application/grpc", "grpc-status": "7", "grpc-message": "not you", "x-why": "policy" },
          { endStream: true },
        );
        setImmediate(() => stream.close(NGHTTP2_NO_ERROR));
      });
    });
    closers.push(() => server.close());
    const client = clientOf(server.baseUrl);
    const { state, messages } = requests((i) => `m${i}`);
    const error = await errorOf(client.lotsOfGreetings(messages));
    expect([error?.code, error?.rawMessage, error?.metadata.get("x-why")]).toEqual([Code.PermissionDenied, "not you", "policy"]);
    await state.finished;
  });

  it("takes an error the server sends after reading the whole request, with header and trailer metadata", async () => {
    const server = await startScripted((stream, seen) => {
      stream.on("end", () => {
        stream.respond({ ":status": 200, "content-type": "application/grpc", "x-head": "h" }, { waitForTrailers: true });
        stream.once("wantTrailers", () =>
          stream.sendTrailers({ "grpc-status": "9", "grpc-message": `after ${requestsIn(seen.body).length}`, "x-tail": "t" }),
        );
        stream.end();
      });
    });
    closers.push(() => server.close());
    const client = clientOf(server.baseUrl);
    const error = await errorOf(client.lotsOfGreetings(requests((i) => `m${i}`, 5).messages));
    expect([error?.code, error?.rawMessage]).toEqual([Code.FailedPrecondition, "after 5"]);
    expect([error?.metadata.get("x-head"), error?.metadata.get("x-tail")]).toEqual(["h", "t"]);
  });

  it("takes the answer of a server that ends the call while the client still sends (then resets with NO_ERROR), and finishes the request iterable", async () => {
    const server = await startScripted((stream) => {
      stream.once("data", () => {
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        trailersThenReset(stream, { "grpc-status": "0", "x-tail": "early" });
        stream.end(replyFrame("enough"));
      });
    });
    closers.push(() => server.close());
    const client = clientOf(server.baseUrl);
    // 64 KiB messages: the connection's window fills, so a write waits when the reset comes.
    const { state, messages } = requests(() => "x".repeat(64 * 1024));
    let trailer: Headers | undefined;
    const res = await client.lotsOfGreetings(messages, {
      onTrailer: (t) => {
        trailer = t;
      },
    });
    expect(res.reply).toBe("enough");
    expect(trailer?.get("x-tail")).toBe("early");
    await state.finished;
  });

  it("fails a bidi call with the request iterable's own error, and resets the stream", async () => {
    let answered!: () => void;
    const serverAnswered = new Promise<void>((resolve) => {
      answered = resolve;
    });
    const server = await startScripted((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      answered();
    });
    closers.push(() => server.close());
    const client = clientOf(server.baseUrl);
    async function* failing(): AsyncGenerator<Request> {
      yield { greeting: "one" };
      await serverAnswered;
      throw new ConnectError("no more greetings", Code.Aborted);
    }
    const error = await errorOf(
      (async () => {
        for await (const _ of client.bidiHello(failing())) {
          // The server never answers.
        }
      })(),
    );
    expect([error?.code, error?.rawMessage]).toEqual([Code.Aborted, "no more greetings"]);
    const seen = await server.stream(0);
    expect([seen.ended, seen.rstCode]).toEqual([false, NGHTTP2_INTERNAL_ERROR]);
  });
});
