import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import * as zlib from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { HelloRequestSchema, HelloResponseSchema, HelloService } from "@hello/sdk";
import { createGrpcHttp2Transport } from "./create-grpc-http2-transport.js";

/**
 * The direct HTTP/2 transport against connect-node's gRPC transport as shipped: the same
 * request, sent by each to the same scripted port-0 server, must give the same result —
 * the same message, headers and trailers, or the same error (code, message, metadata,
 * details) — and the server must see the same request.
 */

const sayHello = HelloService.method.sayHello;
const frame = (bytes: Uint8Array, flags = 0) => {
  const out = Buffer.alloc(5 + bytes.byteLength);
  out[0] = flags;
  out.writeUInt32BE(bytes.byteLength, 1);
  out.set(bytes, 5);
  return out;
};
const replyBytes = toBinary(HelloResponseSchema, create(HelloResponseSchema, { reply: "Hello, you!" }));

/** What the server does with one request: respond with headers, body and trailers, or something odd. */
type Script = (stream: http2.ServerHttp2Stream) => void;

interface Seen {
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
}

let server: http2.Http2Server;
let baseUrl: string;
let script: Script;
const seen: Seen[] = [];

beforeAll(async () => {
  server = http2.createServer();
  server.on("stream", (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("error", () => {});
    stream.on("end", () => {
      seen.push({ headers, body: Buffer.concat(chunks) });
      script(stream);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const managers: Http2SessionManager[] = [];
afterEach(() => {
  for (const m of managers.splice(0)) m.abort();
  seen.splice(0);
});

interface Pair {
  connect: Transport;
  fast: Transport;
}

function transports(options: { readMaxBytes?: number; send?: boolean; timeoutMs?: number } = {}): Pair {
  const make = () => {
    const sessionManager = new Http2SessionManager(baseUrl);
    managers.push(sessionManager);
    return sessionManager;
  };
  const common = {
    baseUrl,
    acceptCompression: [compressionGzip, compressionBrotli],
    ...(options.readMaxBytes !== undefined ? { readMaxBytes: options.readMaxBytes } : {}),
    ...(options.send ? { sendCompression: compressionGzip, compressMinBytes: 10 } : {}),
    ...(options.timeoutMs !== undefined ? { defaultTimeoutMs: options.timeoutMs } : {}),
  };
  const connect = createGrpcTransport({ ...common, sessionManager: make() });
  const sessionManager = make();
  const fast = createGrpcHttp2Transport({
    ...common,
    sessionManager,
    streams: createGrpcTransport({ ...common, sessionManager }),
  });
  return { connect, fast };
}

/** A call's result in comparable form. */
async function outcome(
  transport: Transport,
  init: { greeting?: string; signal?: AbortSignal; timeoutMs?: number; header?: HeadersInit } = {},
) {
  try {
    const res = await transport.unary(sayHello, init.signal, init.timeoutMs, init.header ?? { "x-custom": "1" }, {
      greeting: init.greeting ?? "you",
    });
    return { ok: true, message: res.message.reply, header: [...res.header], trailer: [...res.trailer] };
  } catch (e) {
    const error = e as ConnectError;
    expect(error).toBeInstanceOf(ConnectError);
    return {
      ok: false,
      code: Code[error.code],
      message: error.rawMessage,
      metadata: [...error.metadata].filter(([key]) => key !== "date"),
      details: error.details,
      isWireError: error.isWireError,
    };
  }
}

/** Runs the same call on both transports; returns both outcomes and what the server saw. */
async function both(pair: Pair, init?: Parameters<typeof outcome>[1]) {
  const connect = await outcome(pair.connect, init);
  const fast = await outcome(pair.fast, init);
  return { connect, fast };
}

const strip = (h: http2.IncomingHttpHeaders) => Object.fromEntries(Object.entries(h).filter(([k]) => k !== "date"));
const ok: Script = (stream) => {
  stream.respond({ ":status": 200, "content-type": "application/grpc", "x-head": "h" }, { waitForTrailers: true });
  stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0", "x-tail": "t" }));
  stream.end(frame(replyBytes));
};

function statusDetailsBin(code: number, message: string): string {
  const any = new BinaryWriter()
    .tag(1, 2)
    .string("type.googleapis.com/google.rpc.ErrorInfo")
    .tag(2, 2)
    .bytes(new Uint8Array([10, 3, 102, 111, 111]))
    .finish();
  const status = new BinaryWriter().tag(1, 0).int32(code).tag(2, 2).string(message).tag(3, 2).bytes(any).finish();
  return Buffer.from(status).toString("base64").replace(/=+$/, "");
}

describe("createGrpcHttp2Transport, side by side with connect-node's gRPC transport", () => {
  it("sends the same request: headers and body", async () => {
    script = ok;
    const pair = transports({ timeoutMs: 5_000 });
    const { connect, fast } = await both(pair, { header: { "x-custom": "1", "x-bin-bin": "AQI" } });
    expect(fast).toEqual(connect);
    expect(connect.ok).toBe(true);
    expect(seen).toHaveLength(2);
    expect(strip(seen[1]!.headers)).toEqual(strip(seen[0]!.headers));
    expect(seen[1]!.body).toEqual(seen[0]!.body);
    expect(seen[0]!.headers["grpc-timeout"]).toBe("5000m");
  });

  it("gives the same message, headers and trailers on success", async () => {
    script = ok;
    const { connect, fast } = await both(transports());
    expect(connect).toMatchObject({ ok: true, message: "Hello, you!" });
    expect(fast).toEqual(connect);
  });

  const cases: [string, Script][] = [
    [
      "an error status in the trailers",
      (stream) => {
        stream.respond({ ":status": 200, "content-type": "application/grpc", "x-head": "h" }, { waitForTrailers: true });
        stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "5", "grpc-message": "no%20such%20thing", "x-tail": "t" }));
        stream.end();
      },
    ],
    [
      "a trailers-only error",
      (stream) =>
        stream.respond(
          { ":status": 200, "content-type": "application/grpc", "grpc-status": "7", "grpc-message": "denied" },
          { endStream: true },
        ),
    ],
    [
      "error details (grpc-status-details-bin)",
      (stream) =>
        stream.respond(
          {
            ":status": 200,
            "content-type": "application/grpc",
            "grpc-status": "3",
            "grpc-message": "bad",
            "grpc-status-details-bin": statusDetailsBin(3, "bad argument"),
          },
          { endStream: true },
        ),
    ],
    [
      "an unknown grpc-status",
      (stream) => stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "99" }, { endStream: true }),
    ],
    ["HTTP 503 without a gRPC status", (stream) => stream.respond({ ":status": 503 }, { endStream: true })],
    ["HTTP 404", (stream) => stream.respond({ ":status": 404, "content-type": "text/plain" }, { endStream: true })],
    ["a content type that is not gRPC", (stream) => stream.respond({ ":status": 200, "content-type": "text/html" }, { endStream: true })],
    [
      "a response without any status",
      (stream) => {
        stream.respond({ ":status": 200, "content-type": "application/grpc" });
        stream.end(frame(replyBytes));
      },
    ],
    [
      "OK without a message",
      (stream) => {
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end();
      },
    ],
    [
      "two messages for a unary call",
      (stream) => {
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(Buffer.concat([frame(replyBytes), frame(replyBytes)]));
      },
    ],
    [
      "a truncated envelope",
      (stream) => {
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(frame(replyBytes).subarray(0, 8));
      },
    ],
    [
      "a message that does not parse",
      (stream) => {
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(frame(new Uint8Array([0x0a, 0x10, 0x41])));
      },
    ],
    [
      "a message and an error status in the headers",
      (stream) => {
        stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "13" });
        stream.end(frame(replyBytes));
      },
    ],
    [
      "a gzip-compressed response",
      (stream) => {
        stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-encoding": "gzip" }, { waitForTrailers: true });
        stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(frame(zlib.gzipSync(replyBytes), 1));
      },
    ],
    [
      "a compressed message without grpc-encoding",
      (stream) => {
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(frame(zlib.gzipSync(replyBytes), 1));
      },
    ],
    [
      "an encoding the client does not accept",
      (stream) => {
        stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-encoding": "snappy" }, { waitForTrailers: true });
        stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(frame(replyBytes, 1));
      },
    ],
    [
      "corrupt gzip",
      (stream) => {
        stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-encoding": "gzip" }, { waitForTrailers: true });
        stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(frame(new Uint8Array([1, 2, 3, 4]), 1));
      },
    ],
    ["RST_STREAM REFUSED_STREAM", (stream) => stream.close(http2.constants.NGHTTP2_REFUSED_STREAM)],
    ["RST_STREAM ENHANCE_YOUR_CALM", (stream) => stream.close(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM)],
    ["RST_STREAM INTERNAL_ERROR", (stream) => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR)],
  ];

  it.each(cases)("fails the same way on %s", async (_name, respond) => {
    script = respond;
    const { connect, fast } = await both(transports());
    expect(fast).toEqual(connect);
  });

  it("finds the details of grpc-status-details-bin, as connect does", async () => {
    script = cases.find(([name]) => name.startsWith("error details"))![1];
    const { fast } = await both(transports());
    expect(fast).toMatchObject({ ok: false, code: "InvalidArgument", message: "bad argument", isWireError: true });
    expect((fast as { details: { type: string }[] }).details.map((d) => d.type)).toEqual(["google.rpc.ErrorInfo"]);
  });

  it("enforces readMaxBytes before and after decompression, like connect", async () => {
    script = ok;
    const small = await both(transports({ readMaxBytes: 4 }));
    expect(small.connect).toMatchObject({ ok: false, code: "ResourceExhausted" });
    expect(small.fast).toEqual(small.connect);
    const big = create(HelloResponseSchema, { reply: "x".repeat(2_000) });
    script = (stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-encoding": "br" }, { waitForTrailers: true });
      stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(frame(zlib.brotliCompressSync(toBinary(HelloResponseSchema, big)), 1));
    };
    const inflated = await both(transports({ readMaxBytes: 1_000 }));
    // RESOURCE_EXHAUSTED in Node; in jest's realm connect-node cannot read zlib's error code
    // (it tests `instanceof Error`) and says INTERNAL: the same for both, as they share the compression.
    expect(inflated.connect).toMatchObject({ ok: false });
    expect((inflated.connect as { message: string }).message).toMatch(/readMaxBytes 1000|decompression failed/);
    expect(inflated.fast).toEqual(inflated.connect);
  });

  it("compresses requests above compressMinBytes as connect does", async () => {
    script = ok;
    const { connect, fast } = await both(transports({ send: true }), { greeting: "y".repeat(200) });
    expect(fast).toEqual(connect);
    expect(seen[0]!.headers["grpc-encoding"]).toBe("gzip");
    expect(strip(seen[1]!.headers)).toEqual(strip(seen[0]!.headers));
    const gunzip = promisify(zlib.gunzip);
    expect(seen[1]!.body[0]).toBe(1);
    expect(await gunzip(seen[1]!.body.subarray(5))).toEqual(await gunzip(seen[0]!.body.subarray(5)));
    expect(Buffer.from(await gunzip(seen[1]!.body.subarray(5)))).toEqual(
      Buffer.from(toBinary(HelloRequestSchema, create(HelloRequestSchema, { greeting: "y".repeat(200) }))),
    );
  });

  it("fails with DEADLINE_EXCEEDED when the deadline passes, and resets the stream", async () => {
    const resets: number[] = [];
    script = (stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      stream.on("close", () => resets.push(stream.rstCode));
    };
    const { connect, fast } = await both(transports(), { timeoutMs: 50 });
    expect(connect).toMatchObject({ ok: false, code: "DeadlineExceeded" });
    expect(fast).toEqual(connect);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(resets).toHaveLength(2);
    expect(resets[1]).toBe(resets[0]);
  });

  it("fails with CANCELED when the caller aborts, and resets the stream with CANCEL", async () => {
    const resets: number[] = [];
    script = (stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      stream.on("close", () => resets.push(stream.rstCode));
    };
    const abortSoon = () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      return controller.signal;
    };
    const pair = transports();
    const connect = await outcome(pair.connect, { signal: abortSoon() });
    const fast = await outcome(pair.fast, { signal: abortSoon() });
    expect(connect).toMatchObject({ ok: false, code: "Canceled" });
    expect(fast).toEqual(connect);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // gRPC's cancellation is RST_STREAM(CANCEL). (connect-node sends INTERNAL_ERROR here in
    // jest's realm, where it cannot recognise the AbortError; in Node it sends CANCEL.)
    expect(resets).toHaveLength(2);
    expect(resets[1]).toBe(http2.constants.NGHTTP2_CANCEL);
  });

  it("fails at once, sending nothing, when the signal is already aborted", async () => {
    script = ok;
    const pair = transports();
    const reason = new ConnectError("stop", Code.Canceled);
    const connect = await outcome(pair.connect, { signal: AbortSignal.abort(reason) });
    const fast = await outcome(pair.fast, { signal: AbortSignal.abort(reason) });
    expect(fast).toEqual(connect);
    expect(fast).toMatchObject({ ok: false, code: "Canceled", message: "stop" });
    expect(seen).toHaveLength(0);
  });

  it("fails the same way when the server cannot be reached", async () => {
    const closed = http2.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const connectManager = new Http2SessionManager(url);
    const fastManager = new Http2SessionManager(url);
    managers.push(connectManager, fastManager);
    const connect = await outcome(createGrpcTransport({ baseUrl: url, sessionManager: connectManager }));
    const fast = await outcome(
      createGrpcHttp2Transport({
        baseUrl: url,
        sessionManager: fastManager,
        streams: createGrpcTransport({ baseUrl: url, sessionManager: fastManager }),
      }),
    );
    // UNAVAILABLE in Node; INTERNAL in jest's realm (connect-node's `instanceof Error`), where
    // `normalizeTransportErrors` makes it UNAVAILABLE: the same for both transports.
    expect(connect).toMatchObject({ ok: false });
    expect(fast).toEqual(connect);
  });

  it("runs interceptors around each call, as connect does: they see and change the request and the response", async () => {
    script = ok;
    const seenByInterceptor: string[] = [];
    const sessionManager = new Http2SessionManager(baseUrl);
    managers.push(sessionManager);
    const fast = createGrpcHttp2Transport({
      baseUrl,
      sessionManager,
      interceptors: [
        (next) => async (req) => {
          seenByInterceptor.push(`${req.method.name} ${req.url} ${req.stream} ${req.header.get("grpc-timeout")}`);
          req.header.set("x-added", "yes");
          const res = await next(req);
          res.header.set("x-seen", "1");
          return res;
        },
      ],
      defaultTimeoutMs: 1_000,
      streams: createGrpcTransport({ baseUrl, sessionManager }),
    });
    const res = await fast.unary(sayHello, undefined, undefined, undefined, { greeting: "you" });
    expect(seenByInterceptor).toEqual([`SayHello ${baseUrl}/hello.v1.HelloService/SayHello false 1000m`]);
    expect(seen[0]!.headers["x-added"]).toBe("yes");
    expect(res.header.get("x-seen")).toBe("1");
    expect(res.message.reply).toBe("Hello, you!");
  });

  describe("server streams", () => {
    const lotsOfReplies = HelloService.method.lotsOfReplies;
    const replyFrame = (i: number) => frame(toBinary(HelloResponseSchema, create(HelloResponseSchema, { reply: `r${i}` })));

    async function streamOutcome(transport: Transport, init: { signal?: AbortSignal; timeoutMs?: number; take?: number } = {}) {
      const replies: string[] = [];
      try {
        const res = await transport.stream(
          lotsOfReplies,
          init.signal,
          init.timeoutMs,
          { "x-custom": "1" },
          (async function* () {
            yield { greeting: "you", replyCount: 3 };
          })(),
        );
        for await (const message of res.message) {
          replies.push(message.reply);
          if (init.take !== undefined && replies.length >= init.take) break;
        }
        return { ok: true, replies, header: [...res.header].filter(([k]) => k !== "date"), trailer: [...res.trailer] };
      } catch (e) {
        const error = e as ConnectError;
        expect(error).toBeInstanceOf(ConnectError);
        return {
          ok: false,
          replies,
          code: Code[error.code],
          message: error.rawMessage,
          metadata: [...error.metadata].filter(([key]) => key !== "date"),
          details: error.details,
        };
      }
    }

    async function bothStreams(pair: Pair, init?: Parameters<typeof streamOutcome>[1]) {
      const connect = await streamOutcome(pair.connect, init);
      const fast = await streamOutcome(pair.fast, init);
      return { connect, fast };
    }

    const withTrailers =
      (body: Buffer, trailers: http2.OutgoingHttpHeaders, extra: http2.OutgoingHttpHeaders = {}): Script =>
      (stream) => {
        stream.respond({ ":status": 200, "content-type": "application/grpc", "x-head": "h", ...extra }, { waitForTrailers: true });
        stream.once("wantTrailers", () => stream.sendTrailers(trailers));
        stream.end(body);
      };
    const many = Buffer.concat(Array.from({ length: 200 }, (_, i) => replyFrame(i)));

    const streamCases: [string, Script][] = [
      ["200 messages and OK", withTrailers(many, { "grpc-status": "0", "x-tail": "t" })],
      [
        "messages, then an error status",
        withTrailers(Buffer.concat([replyFrame(1), replyFrame(2)]), { "grpc-status": "9", "grpc-message": "stop", "x-tail": "t" }),
      ],
      [
        "a trailers-only error",
        (stream) =>
          stream.respond(
            { ":status": 200, "content-type": "application/grpc", "grpc-status": "5", "grpc-message": "none" },
            { endStream: true },
          ),
      ],
      [
        "no status at the end",
        (stream) => {
          stream.respond({ ":status": 200, "content-type": "application/grpc" });
          stream.end(replyFrame(1));
        },
      ],
      ["a truncated last envelope", withTrailers(Buffer.concat([replyFrame(1), replyFrame(2).subarray(0, 7)]), { "grpc-status": "0" })],
      [
        "a gzip-compressed message",
        withTrailers(
          frame(zlib.gzipSync(toBinary(HelloResponseSchema, create(HelloResponseSchema, { reply: "z" }))), 1),
          { "grpc-status": "0" },
          { "grpc-encoding": "gzip" },
        ),
      ],
      ["HTTP 503", (stream) => stream.respond({ ":status": 503 }, { endStream: true })],
      [
        "a reset after a message",
        (stream) => {
          stream.respond({ ":status": 200, "content-type": "application/grpc" });
          stream.write(replyFrame(1), () => setTimeout(() => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR), 20));
        },
      ],
    ];

    it.each(streamCases)("gives the same messages and result on %s", async (_name, respond) => {
      script = respond;
      const { connect, fast } = await bothStreams(transports());
      expect(fast).toEqual(connect);
    });

    it("sends the same request", async () => {
      script = streamCases[0]![1];
      await bothStreams(transports({ timeoutMs: 3_000 }));
      expect(seen).toHaveLength(2);
      expect(strip(seen[1]!.headers)).toEqual(strip(seen[0]!.headers));
      expect(seen[1]!.body).toEqual(seen[0]!.body);
    });

    it("enforces readMaxBytes on each message, like connect", async () => {
      script = streamCases[0]![1];
      const { connect, fast } = await bothStreams(transports({ readMaxBytes: 3 }));
      expect(connect).toMatchObject({ ok: false, code: "ResourceExhausted" });
      expect(fast).toEqual(connect);
    });

    it("fails with DEADLINE_EXCEEDED when the deadline passes mid-stream", async () => {
      script = (stream) => {
        stream.respond({ ":status": 200, "content-type": "application/grpc" });
        stream.write(replyFrame(1));
      };
      const { connect, fast } = await bothStreams(transports(), { timeoutMs: 100 });
      expect(connect).toMatchObject({ ok: false, code: "DeadlineExceeded", replies: ["r1"] });
      expect(fast).toEqual(connect);
    });

    it("cancels the HTTP/2 stream (RST_STREAM CANCEL) when the caller stops reading early", async () => {
      const resets: number[] = [];
      script = (stream) => {
        stream.on("close", () => resets.push(stream.rstCode));
        stream.respond({ ":status": 200, "content-type": "application/grpc" });
        stream.write(Buffer.concat([replyFrame(1), replyFrame(2)]));
      };
      const pair = transports();
      const fast = await streamOutcome(pair.fast, { take: 1 });
      expect(fast).toMatchObject({ ok: true, replies: ["r1"] });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(resets).toEqual([http2.constants.NGHTTP2_CANCEL]);
    });
  });
});
