/**
 * The fast path against connect as shipped: two real servers, `fastPath: true` and
 * `fastPath: false`, get the same raw HTTP/2 requests, and every response must be the
 * same — status, headers, trailers, body bytes and how the stream ended — once the
 * `date` header and generated request ids are set aside. The diagnostics channel tells
 * which requests the fast path answered, so the battery also proves the fast path is
 * taken where it should be and left alone everywhere else.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { errorMonitor } from "node:events";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { HealthCheckRequestSchema, HelloRequestSchema } from "@hello/sdk";
import { createGreeter } from "../hello/greeter.js";
import { createRoutes } from "../routes.js";
import { captureFastPathMethods } from "./capture-fast-path-methods.js";
import type { HelloServer } from "../server.js";
import { parsePrometheusText } from "../test-support/prometheus-text.js";
import { normalized, type RawRequest, rawExchange, sessionExchange } from "../test-support/raw-exchange.js";
import { startTestServer } from "../test-support/start-test-server.js";
import { createFastPath, FAST_PATH_CHANNEL } from "./fast-path.js";
import { routeHttp2Streams } from "./route-http2-streams.js";

const SAY_HELLO = "/hello.v1.HelloService/SayHello";
const GRPC = { "content-type": "application/grpc", te: "trailers" };

/** Test hooks, driven by request headers; run innermost, after the server's own interceptors. */
const testInterceptor: Interceptor = (next) => async (req) => {
  const header = req.header;
  const sleepMs = header.get("x-test-sleep-ms");
  if (sleepMs !== null) await sleep(Number(sleepMs), undefined, { signal: req.signal });
  if (header.has("x-test-throw")) throw new Error("secret database password");
  if (header.has("x-test-throw-undefined")) throw undefined;
  if (header.has("x-test-big-trailer")) {
    // Trailers over 1 KiB on success: gRPC-Web compresses its trailer envelope after the message.
    const res = await next(req);
    res.trailer.set("x-padding", "t".repeat(2000));
    return res;
  }
  if (header.has("x-test-big-error")) {
    // Trailers over connect's compressMinBytes (1 KiB): gRPC-Web compresses its trailer envelope.
    throw new ConnectError("big error", Code.Aborted, { "x-error-padding": "p".repeat(2000) });
  }
  if (header.has("x-test-connect-error")) {
    throw new ConnectError(
      "precondition failed: 100% café",
      Code.FailedPrecondition,
      { "x-error-meta": "m1", "x-error-meta-bin": "AAEC", "grpc-status": "13", "content-type": "text/plain" },
      [{ desc: StringValueSchema, value: { value: "a detail" } }],
    );
  }
  const res = await next(header.has("x-test-spread") ? { ...req } : req);
  if (header.has("x-test-response-metadata")) {
    res.header.set("x-added-header", "h");
    res.header.append("set-cookie", "a=1");
    res.header.append("set-cookie", "b=2");
    res.trailer.set("x-added-trailer", "t");
  }
  if (header.has("x-test-replace-headers")) {
    return { ...res, header: new Headers({ "x-replaced": "1" }), trailer: new Headers({ "x-replaced-trailer": "1" }) };
  }
  return res;
};

let fast: HelloServer;
let slow: HelloServer;
const taken: unknown[] = [];
const onTaken = (message: unknown) => taken.push(message);

beforeAll(async () => {
  subscribe(FAST_PATH_CHANNEL, onTaken);
  ({ server: fast } = await startTestServer({ fastPath: true, interceptors: [testInterceptor] }));
  ({ server: slow } = await startTestServer({ fastPath: false, interceptors: [testInterceptor] }));
});
afterAll(async () => {
  unsubscribe(FAST_PATH_CHANNEL, onTaken);
  await Promise.all([fast.close(500), slow.close(500)]);
});

function frame(message: Uint8Array, flags = 0): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(flags, 0);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

const hello = (greeting: string) => Buffer.from(toBinary(HelloRequestSchema, create(HelloRequestSchema, { greeting })));
const helloFrame = (greeting: string) => frame(hello(greeting));
/** A greeting whose reply is over 1 KiB (connect's compressMinBytes): 3 bytes per character, 400 characters. */
const LONG = "€".repeat(400);
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

interface Case {
  name: string;
  request: RawRequest;
  /** Whether the fast path must answer it (else it must fall through to connect). */
  fast: boolean;
}

const grpc = (name: string, body: Buffer[], headers: Record<string, string> = {}, isFast = true, path = SAY_HELLO): Case => ({
  name,
  request: { path, headers: { ...GRPC, ...headers }, body },
  fast: isFast,
});
const connect = (name: string, body: Buffer[], headers: Record<string, string>, isFast = true, path = SAY_HELLO): Case => ({
  name,
  request: { path, headers, body },
  fast: isFast,
});
const JSON_TYPE = { "content-type": "application/json" };
const PROTO_TYPE = { "content-type": "application/proto" };

const oversizedHeader = Buffer.from([0, 0, 0x50, 0, 0]); // announces 5 MiB, over the 4 MiB limit

const LOTS_OF_REPLIES = "/hello.v1.HelloService/LotsOfReplies";
const replyRequest = (greeting: string, replyCount: number, intervalMs = 0) =>
  Buffer.from(
    toBinary(
      HelloRequestSchema,
      create(HelloRequestSchema, {
        greeting,
        replyCount,
        ...(intervalMs > 0 ? { replyInterval: { seconds: 0n, nanos: intervalMs * 1_000_000 } } : {}),
      }),
    ),
  );
const replies = (greeting: string, replyCount: number, intervalMs = 0) => frame(replyRequest(greeting, replyCount, intervalMs));
const stream = (name: string, body: Buffer[], headers: Record<string, string> = {}, isFast = true): Case =>
  grpc(`server stream: ${name}`, body, headers, isFast, LOTS_OF_REPLIES);

const cases: Case[] = [
  // gRPC: success and metadata
  grpc("success", [helloFrame("hi")]),
  grpc("success, application/grpc+proto", [helloFrame("hi")], { "content-type": "application/grpc+proto" }),
  grpc("client request id kept", [helloFrame("hi")], { "x-request-id": "req-123" }),
  grpc("invalid client request id replaced", [helloFrame("hi")], { "x-request-id": "bad id with spaces" }),
  grpc("x-echo-* headers, ASCII and -bin, echoed", [helloFrame("hi")], {
    "x-echo-text": "some text",
    "x-echo-data-bin": Buffer.from([0, 1, 2, 250, 255]).toString("base64"),
    "x-not-echoed": "no",
  }),
  grpc("traceparent", [helloFrame("hi")], { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }),
  grpc("frame split over DATA frames", [helloFrame("split").subarray(0, 3), helloFrame("split").subarray(3)]),
  grpc("zero-length message (empty greeting) fails validation", [frame(new Uint8Array(0))]),
  grpc("identity grpc-encoding", [helloFrame("hi")], { "grpc-encoding": "identity" }),
  grpc("grpc-timeout in time", [helloFrame("hi")], { "grpc-timeout": "10S" }),
  grpc("grpc-timeout of 0 (signal aborted at once; SayHello still answers)", [helloFrame("hi")], { "grpc-timeout": "0m" }),
  grpc("deadline exceeded in a slow interceptor", [helloFrame("hi")], { "grpc-timeout": "100m", "x-test-sleep-ms": "5000" }),
  grpc(
    "Health.Check",
    [frame(toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, {})))],
    {},
    true,
    "/grpc.health.v1.Health/Check",
  ),
  grpc(
    "Health.Check of an unknown service",
    [frame(toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service: "nope" })))],
    {},
    true,
    "/grpc.health.v1.Health/Check",
  ),
  // gRPC: validation
  grpc("empty greeting: INVALID_ARGUMENT with details", [helloFrame("")]),
  grpc("greeting over 1,000 characters", [helloFrame("x".repeat(1001))]),
  // gRPC: framing and parsing
  grpc("frame over readMaxBytes", [oversizedHeader, Buffer.alloc(100)]),
  grpc("frame over readMaxBytes, stream left open", [oversizedHeader, Buffer.alloc(1000)]),
  grpc("truncated frame", [helloFrame("truncated").subarray(0, 8)]),
  grpc("frame header only", [helloFrame("header only").subarray(0, 5)]),
  grpc("part of a frame header", [Buffer.from([0, 0, 0])]),
  grpc("extra message", [helloFrame("one"), helloFrame("two")]),
  grpc("extra message that does not parse", [helloFrame("one"), frame(Buffer.from([0xff, 0xff, 0xff]))]),
  grpc("extra frame header only, after a message", [helloFrame("one"), helloFrame("two").subarray(0, 5)]),
  grpc("oversized second frame in the same DATA frame", [Buffer.concat([frame(Buffer.from([0xff])), oversizedHeader])]),
  grpc("empty body", []),
  grpc("garbage protobuf", [frame(Buffer.from([0xff, 0xff, 0xff, 0xff]))]),
  grpc("random bytes", [Buffer.from("this is not a grpc frame at all, just bytes")]),
  grpc("compressed flag without grpc-encoding", [frame(gzipSync(hello("zipped")), 1)]),
  // gRPC: response compression
  grpc("gzip accepted, reply over 1 KiB: compressed", [helloFrame(LONG)], { "grpc-accept-encoding": "gzip" }),
  grpc("br accepted, reply over 1 KiB: compressed", [helloFrame(LONG)], { "grpc-accept-encoding": "br" }),
  grpc("first accepted encoding the server has", [helloFrame(LONG)], { "grpc-accept-encoding": "deflate, br, gzip" }),
  grpc("gzip accepted, small reply: grpc-encoding set, not compressed", [helloFrame("hi")], { "grpc-accept-encoding": "identity, gzip" }),
  grpc("nothing acceptable", [helloFrame(LONG)], { "grpc-accept-encoding": "deflate, snappy" }),
  // gRPC: errors from interceptors and handlers
  grpc("unexpected exception: INTERNAL 'internal error'", [helloFrame("hi")], { "x-test-throw": "1" }),
  grpc("throw undefined", [helloFrame("hi")], { "x-test-throw-undefined": "1" }),
  grpc("ConnectError with metadata and details", [helloFrame("hi")], { "x-test-connect-error": "1" }),
  grpc("interceptor adds response metadata", [helloFrame("hi")], { "x-test-response-metadata": "1" }),
  grpc("interceptor replaces the response headers", [helloFrame("hi")], { "x-test-replace-headers": "1" }),
  grpc("interceptor passes a copy of the request", [helloFrame("hi")], { "x-test-spread": "1", "x-echo-a": "b" }),
  // gRPC: what falls through
  grpc("compressed request (grpc-encoding gzip)", [frame(gzipSync(hello("zipped")), 1)], { "grpc-encoding": "gzip" }, false),
  grpc("unknown grpc-encoding", [helloFrame("hi")], { "grpc-encoding": "snappy" }, false),
  grpc("invalid grpc-timeout", [helloFrame("hi")], { "grpc-timeout": "soon" }, false),
  grpc("unknown method", [helloFrame("hi")], {}, false, "/hello.v1.HelloService/Nope"),
  grpc("unknown service", [helloFrame("hi")], {}, false, "/other.v1.Thing/Do"),
  grpc("path with a query", [helloFrame("hi")], {}, false, `${SAY_HELLO}?x=1`),
  grpc("gRPC JSON", [frame(json({ greeting: "hi" }))], { "content-type": "application/grpc+json" }, false),
  grpc("content type in upper case", [helloFrame("hi")], { "content-type": "Application/GRPC" }, false),
  // Browser calls take the fast path with the CORS headers connect's path gives them.
  grpc("browser call (CORS origin)", [helloFrame("hi")], { origin: "http://playground.test" }),
  grpc("disallowed origin", [helloFrame("hi")], { origin: "http://evil.test" }),
  grpc("unknown content type", [helloFrame("hi")], { "content-type": "text/plain" }, false),
  { name: "GET", request: { path: SAY_HELLO, method: "GET", headers: {}, body: [] }, fast: false },
  // gRPC server streaming (LotsOfReplies)
  stream("3 replies", [replies("hi", 3)]),
  stream("reply_count 0: the default 3", [replies("hi", 0)]),
  stream("200 replies", [replies("many", 200)]),
  stream("x-echo-* headers echoed, x-reply-count trailer", [replies("hi", 2)], { "x-echo-a": "b", "x-echo-data-bin": "AAEC" }),
  stream("reply_count over 1,000: INVALID_ARGUMENT with details", [replies("hi", 1001)]),
  stream("empty greeting", [replies("", 1)]),
  stream("empty body: missing input message", []),
  stream("extra message", [replies("a", 1), replies("b", 1)]),
  stream("garbage protobuf", [frame(Buffer.from([0xff, 0xff, 0xff, 0xff]))]),
  stream("truncated frame", [replies("truncated", 1).subarray(0, 8)]),
  stream("frame over readMaxBytes", [oversizedHeader, Buffer.alloc(100)]),
  {
    ...stream("frame over readMaxBytes, stream left open", [oversizedHeader, Buffer.alloc(1000)]),
    request: { path: LOTS_OF_REPLIES, headers: GRPC, body: [oversizedHeader, Buffer.alloc(1000)], keepOpen: true },
  },
  stream("compressed flag without grpc-encoding", [frame(gzipSync(replyRequest("zipped", 1)), 1)]),
  {
    ...stream("three messages, stream left open", []),
    request: { path: LOTS_OF_REPLIES, headers: GRPC, body: [replies("a", 1), replies("b", 1), replies("c", 1)], keepOpen: true },
  },
  stream("gzip accepted, replies over 1 KiB: compressed", [replies(LONG, 3)], { "grpc-accept-encoding": "gzip" }),
  stream("gzip accepted, small replies: grpc-encoding set, not compressed", [replies("hi", 2)], { "grpc-accept-encoding": "gzip" }),
  stream("grpc-timeout in time", [replies("hi", 2)], { "grpc-timeout": "10S" }),
  stream("deadline between two replies", [replies("slow", 3, 1000)], { "grpc-timeout": "300m" }),
  stream("grpc-timeout of 0", [replies("hi", 2)], { "grpc-timeout": "0m" }),
  stream("unexpected exception in an interceptor", [replies("hi", 2)], { "x-test-throw": "1" }),
  stream("throw undefined in an interceptor", [replies("hi", 2)], { "x-test-throw-undefined": "1" }),
  stream("ConnectError with metadata and details", [replies("hi", 2)], { "x-test-connect-error": "1" }),
  stream("interceptor adds response metadata", [replies("hi", 2)], { "x-test-response-metadata": "1" }),
  stream("interceptor replaces the response headers", [replies("hi", 2)], { "x-test-replace-headers": "1" }),
  stream("interceptor passes a copy of the request", [replies("hi", 2)], { "x-test-spread": "1", "x-echo-a": "b" }),
  stream("compressed request: falls through", [frame(gzipSync(replyRequest("zipped", 1)), 1)], { "grpc-encoding": "gzip" }, false),
  stream("gRPC-Web: falls through", [replies("hi", 2)], { "content-type": "application/grpc-web+proto" }, false),
  connect(
    "Connect server streaming: falls through",
    [frame(json({ greeting: "hi", replyCount: 2 }))],
    { "content-type": "application/connect+json" },
    false,
    LOTS_OF_REPLIES,
  ),
  connect("Connect unary content type on a streaming method: falls through", [json({ greeting: "hi" })], JSON_TYPE, false, LOTS_OF_REPLIES),
  // Connect unary
  connect("Connect proto", [hello("hi")], PROTO_TYPE),
  connect("Connect JSON", [json({ greeting: "hi" })], JSON_TYPE),
  connect("Connect JSON with connect-protocol-version", [json({ greeting: "hi" })], { ...JSON_TYPE, "connect-protocol-version": "1" }),
  connect("Connect JSON, unknown field ignored", [json({ greeting: "hi", nope: 1 })], JSON_TYPE),
  connect("Connect JSON, proto field name", [json({ greeting: "hi" })], JSON_TYPE),
  connect("Connect JSON Health.Check (enum as its JSON name)", [json({})], JSON_TYPE, true, "/grpc.health.v1.Health/Check"),
  connect("Connect JSON with content-length", [json({ greeting: "sized" })], {
    ...JSON_TYPE,
    "content-length": String(json({ greeting: "sized" }).length),
  }),
  connect("Connect JSON validation error with details", [json({ greeting: "" })], JSON_TYPE),
  connect("Connect JSON malformed", [Buffer.from('{"greeting": ')], JSON_TYPE),
  connect("Connect JSON wrong field type", [json({ greeting: 42 })], JSON_TYPE),
  connect("Connect empty body", [], JSON_TYPE),
  connect("Connect proto garbage", [Buffer.from([0xff, 0xff, 0xff])], PROTO_TYPE),
  connect("Connect proto empty body (empty greeting)", [], PROTO_TYPE),
  connect("Connect, gzip accepted, reply over 1 KiB", [json({ greeting: LONG })], { ...JSON_TYPE, "accept-encoding": "gzip, deflate, br" }),
  connect("Connect, br accepted, small reply", [json({ greeting: "hi" })], { ...JSON_TYPE, "accept-encoding": "br" }),
  connect("Connect error body compressed", [json({ greeting: "hi" })], {
    ...JSON_TYPE,
    "accept-encoding": "gzip",
    "x-test-connect-error": "1",
  }),
  connect("Connect timeout in time", [json({ greeting: "hi" })], { ...JSON_TYPE, "connect-timeout-ms": "10000" }),
  connect("Connect deadline exceeded", [json({ greeting: "hi" })], {
    ...JSON_TYPE,
    "connect-timeout-ms": "100",
    "x-test-sleep-ms": "5000",
  }),
  connect("Connect unexpected exception", [json({ greeting: "hi" })], { ...JSON_TYPE, "x-test-throw": "1" }),
  connect("Connect ConnectError with metadata and details", [json({ greeting: "hi" })], { ...JSON_TYPE, "x-test-connect-error": "1" }),
  connect("Connect response metadata and trailers", [json({ greeting: "hi" })], { ...JSON_TYPE, "x-test-response-metadata": "1" }),
  connect("Connect echo -bin header", [json({ greeting: "hi" })], { ...JSON_TYPE, "x-echo-data-bin": "AAEC" }),
  // Node resets a stream whose body falls short of its content-length (RST_STREAM
  // PROTOCOL_ERROR) in the read that ends it: the stream is closed before any handler sees
  // it (http/drop-reset-streams.ts), on both servers alike.
  connect(
    "Connect content-length over readMaxBytes",
    [json({ greeting: "hi" })],
    { ...JSON_TYPE, "content-length": String(5 * 1024 * 1024) },
    false,
  ),
  connect("Connect gzip request", [gzipSync(json({ greeting: "hi" }))], { ...JSON_TYPE, "content-encoding": "gzip" }, false),
  connect("Connect invalid timeout", [json({ greeting: "hi" })], { ...JSON_TYPE, "connect-timeout-ms": "-1" }, false),
  connect("Connect JSON with charset", [json({ greeting: "hi" })], { "content-type": "application/json; charset=utf-8" }, false),
  connect("Connect streaming content type", [json({ greeting: "hi" })], { "content-type": "application/connect+json" }, false),
  connect("Connect unknown method", [json({})], JSON_TYPE, false, "/hello.v1.HelloService/Nope"),
];

/**
 * gRPC-Web (binary) over HTTP/2 takes the fast path as unary gRPC does: every unary gRPC
 * case above again, as gRPC-Web, with the same expectation, and what only gRPC-Web has.
 */
const WEB_TYPES: Record<string, string> = {
  "application/grpc": "application/grpc-web",
  "application/grpc+proto": "application/grpc-web+proto",
  "application/grpc+json": "application/grpc-web+json",
  "Application/GRPC": "Application/GRPC-WEB",
};
const asWeb = ({ name, request, fast: isFast }: Case): Case => {
  const { te: _te, ...headers } = request.headers;
  const type = String(headers["content-type"]);
  return {
    name: `gRPC-Web: ${name}`,
    request: { ...request, headers: { ...headers, "content-type": WEB_TYPES[type] ?? type } },
    fast: isFast,
  };
};
const WEB = { "content-type": "application/grpc-web+proto" };
const web = (name: string, body: Buffer[], headers: Record<string, string> = {}, isFast = true, path = SAY_HELLO): Case => ({
  name: `gRPC-Web: ${name}`,
  request: { path, headers: { ...WEB, ...headers }, body },
  fast: isFast,
});
const trailerFrame = (text: string, flags = 0x80) => frame(Buffer.from(text), flags);
cases.push(
  ...cases.filter((c) => c.request.path !== LOTS_OF_REPLIES && String(c.request.headers["content-type"]) in WEB_TYPES).map(asWeb),
  web("a trailer envelope after the message is skipped", [helloFrame("hi"), trailerFrame("x-t: 1\r\n")]),
  web("a trailer envelope before the message is skipped", [trailerFrame("x-t: 1\r\n"), helloFrame("hi")]),
  web("only a trailer envelope: missing input message", [trailerFrame("x-t: 1\r\n")]),
  web("a compressed trailer envelope without grpc-encoding", [helloFrame("hi"), trailerFrame("x-t: 1\r\n", 0x81)]),
  web("trailers over 1 KiB, gzip accepted: trailer envelope compressed", [helloFrame("hi")], {
    "grpc-accept-encoding": "gzip",
    "x-test-big-error": "1",
  }),
  web("trailers over 1 KiB, nothing accepted", [helloFrame("hi")], { "x-test-big-error": "1" }),
  web("reply compressed (br), trailers under 1 KiB left alone", [helloFrame(LONG)], {
    "grpc-accept-encoding": "br",
    "x-test-response-metadata": "1",
  }),
  web("reply and trailers over 1 KiB, gzip accepted: both envelopes compressed", [helloFrame(LONG)], {
    "grpc-accept-encoding": "gzip",
    "x-test-big-trailer": "1",
  }),
  web("small reply, trailers over 1 KiB: only the trailer envelope compressed", [helloFrame("hi")], {
    "grpc-accept-encoding": "gzip",
    "x-test-big-trailer": "1",
  }),
  grpc("trailers over 1 KiB (HTTP trailers, never compressed)", [helloFrame(LONG)], {
    "grpc-accept-encoding": "gzip",
    "x-test-big-trailer": "1",
  }),
  web(
    "text encoding falls through",
    [Buffer.from(helloFrame("hi").toString("base64"))],
    { "content-type": "application/grpc-web-text" },
    false,
  ),
  web("server stream falls through", [replies("hi", 2)], {}, false, LOTS_OF_REPLIES),
);

describe("the fast path", () => {
  it.each(cases)("answers like connect: $name", async ({ request, fast: isFast }) => {
    const sentRequestId = request.headers["x-request-id"] !== undefined && !String(request.headers["x-request-id"]).includes(" ");
    taken.length = 0;
    const viaFastPath = await rawExchange(fast.url, request);
    const fastTaken = taken.length;
    taken.length = 0;
    const viaConnect = await rawExchange(slow.url, request);
    expect(taken).toHaveLength(0);
    expect(normalized(viaFastPath, sentRequestId)).toEqual(normalized(viaConnect, sentRequestId));
    expect(viaConnect.outcome).not.toBe("timeout");
    expect({ fastPathTaken: fastTaken === 1 }).toEqual({ fastPathTaken: isFast });
  });

  it("is taken by connect's own gRPC, gRPC-Web and Connect clients' unary calls", async () => {
    // Checked above with raw requests; this guards the common client headers (te, user-agent, …).
    const { createClient } = await import("@connectrpc/connect");
    const { createGrpcTransport, createGrpcWebTransport, createConnectTransport, Http2SessionManager } = await import(
      "@connectrpc/connect-node"
    );
    const { HelloService } = await import("@hello/sdk");
    taken.length = 0;
    for (const make of [createGrpcTransport, createGrpcWebTransport, createConnectTransport]) {
      const sessionManager = new Http2SessionManager(fast.url);
      const client = createClient(HelloService, make({ baseUrl: fast.url, httpVersion: "2", sessionManager }));
      const res = await client.sayHello({ greeting: "client" });
      expect(res.reply).toBe("Hello, client!");
      sessionManager.abort();
    }
    expect(taken).toEqual([
      { path: SAY_HELLO, protocol: "grpc" },
      { path: SAY_HELLO, protocol: "grpc-web" },
      { path: SAY_HELLO, protocol: "connect" },
    ]);
  });
});

describe("response headers", () => {
  it.each([
    ["the fast path", () => fast],
    ["connect (compatibility API)", () => slow],
  ])("carry the request id as an HPACK literal that is never indexed (it is new on every response): %s", async (_, server) => {
    const session = http2.connect(server().url);
    try {
      const sensitive = await new Promise<unknown>((resolve, reject) => {
        const req = session.request({ ":method": "POST", ":path": SAY_HELLO, ...GRPC });
        req.on("response", (headers) => resolve((headers as Record<symbol, unknown>)[http2.sensitiveHeaders]));
        req.on("error", reject);
        req.resume();
        req.end(helloFrame("hpack"));
      });
      expect(sensitive).toEqual(["x-request-id"]);
    } finally {
      session.close();
    }
  });
});

describe("a server stream whose client leaves before its request ends", () => {
  /** LotsOfReplies calls the server's metrics saw end, by code. */
  const endedStreams = async (server: HelloServer) =>
    parsePrometheusText(await (await fetch(`${server.url}/metrics`)).text())
      .filter((s) => s.name === "grpc_server_handled_total" && s.labels["grpc_method"] === "LotsOfReplies")
      .map((s) => ({ code: s.labels["grpc_code"], count: s.value }));

  it("is observed as started and ended with the same code as connect's", async () => {
    const seen: unknown[] = [];
    for (const server of [fast, slow]) {
      const before = await endedStreams(server);
      const session = http2.connect(server.url);
      const req = session.request({ ":method": "POST", ":path": LOTS_OF_REPLIES, ...GRPC });
      req.on("error", () => {});
      req.write(replies("leaving", 1)); // the request body never ends
      await sleep(100);
      req.close(http2.constants.NGHTTP2_CANCEL);
      let after = before;
      for (let i = 0; i < 100 && JSON.stringify(after) === JSON.stringify(before); i++) {
        await sleep(20);
        after = await endedStreams(server);
      }
      session.destroy();
      seen.push(after.filter((a) => !before.some((b) => b.code === a.code && b.count === a.count)).map((a) => a.code));
    }
    expect(seen[0]).toHaveLength(1);
    expect(seen[0]).toEqual(seen[1]);
  });
});

describe("the unary fast path while the server drains", () => {
  it("lets a call in flight finish and leaves new calls to the shutdown logic, like connect", async () => {
    const outcomes: unknown[] = [];
    const takenCounts: number[] = [];
    for (const fastPath of [true, false]) {
      taken.length = 0;
      const { server } = await startTestServer({ fastPath, interceptors: [testInterceptor] });
      const session = http2.connect(server.url);
      try {
        const inFlight = sessionExchange(session, drainCall({ "x-test-sleep-ms": "200", "x-request-id": "in-flight" }));
        await sleep(50);
        const closing = server.close(2_000);
        // Sent after draining began: refused before any request handler sees it.
        const late = sessionExchange(session, drainCall({ "x-request-id": "late" }));
        outcomes.push({ inFlight: normalized(await inFlight, true), late: normalized(await late, true) });
        takenCounts.push(taken.length);
        await closing;
      } finally {
        session.destroy();
      }
    }
    expect(outcomes[0]).toEqual(outcomes[1]);
    expect(outcomes[0]).toMatchObject({
      inFlight: { trailers: { "grpc-status": "0" } },
      late: { outcome: "stream error ERR_HTTP2_STREAM_ERROR" },
    });
    // The fast path answered the call in flight (the connect server reports 0).
    expect(takenCounts).toEqual([1, 0]);
  });
});

/** The SayHello the drain test sends, with `headers`. */
function drainCall(headers: Record<string, string>): RawRequest {
  return { path: SAY_HELLO, headers: { ...GRPC, ...headers }, body: [helloFrame("drain")] };
}

describe("a stream the fast path answered, once closed", () => {
  // Listeners left on a closed stream keep the call's garbage alive through V8's young-
  // generation collections (see releaseListeners in fast-path.ts); this pins that none stay,
  // neither on the stream nor in the listener object it had while open.
  let server: http2.Http2Server;
  let url: string;
  const closed: Promise<{ stream: http2.ServerHttp2Stream; listenersWhileOpen: Record<string | symbol, unknown> }>[] = [];
  beforeAll(async () => {
    const routes = createRoutes({ greeter: createGreeter() });
    server = http2.createServer(connectNodeAdapter({ routes }));
    routeHttp2Streams(server, createFastPath({ methods: captureFastPathMethods(routes) }).serve);
    // Added after routeHttp2Streams: sees every stream, and its 'close' listener runs after the fast path's.
    server.on("stream", (stream: http2.ServerHttp2Stream) => {
      if (unusualListeners) {
        // Names the fast path does not know of, one of them a symbol: cleared too.
        stream.on("something-else", () => undefined);
        stream.on(errorMonitor, () => undefined);
      }
      // The listener object the stream had while open (see releaseListeners: it is what may
      // sit in the old generation, so its slots must not point to the call afterwards).
      const listenersWhileOpen = (stream as unknown as { _events: Record<string | symbol, unknown> })._events;
      closed.push(new Promise((resolve) => stream.once("close", () => setImmediate(() => resolve({ stream, listenersWhileOpen })))));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  let unusualListeners = false;
  afterEach(() => {
    unusualListeners = false;
  });

  it("keeps no listener of a kind it does not know of either", async () => {
    unusualListeners = true;
    closed.length = 0;
    const exchange = await rawExchange(url, { path: SAY_HELLO, headers: GRPC, body: [helloFrame("a")] }, 5_000);
    expect(exchange.outcome).toBe("end");
    const { stream, listenersWhileOpen } = await closed[0]!;
    expect(stream.eventNames()).toEqual(["error"]);
    expect(Reflect.ownKeys(listenersWhileOpen).filter((key) => listenersWhileOpen[key] !== undefined)).toEqual([]);
  });

  it.each<[string, RawRequest, string]>([
    ["unary gRPC", { path: SAY_HELLO, headers: GRPC, body: [helloFrame("a")] }, "end"],
    ["unary Connect", { path: SAY_HELLO, headers: PROTO_TYPE, body: [hello("a")] }, "end"],
    ["unary gRPC-Web", { path: SAY_HELLO, headers: { "content-type": "application/grpc-web+proto" }, body: [helloFrame("a")] }, "end"],
    ["a gRPC server stream", { path: LOTS_OF_REPLIES, headers: GRPC, body: [replies("a", 2)] }, "end"],
    ["a gRPC server stream the client abandons", { path: LOTS_OF_REPLIES, headers: GRPC, body: [replies("a", 50, 1_000)] }, "timeout"],
  ])("keeps no listener but a no-op 'error' one: %s", async (_name, request, outcome) => {
    closed.length = 0;
    const exchange = await rawExchange(url, request, outcome === "timeout" ? 300 : 5_000);
    expect(exchange.outcome).toBe(outcome);
    expect(closed).toHaveLength(1);
    const { stream, listenersWhileOpen } = await closed[0]!;
    expect(stream.eventNames()).toEqual(["error"]);
    // The old listener object points to no listener any more.
    expect(Reflect.ownKeys(listenersWhileOpen).filter((key) => listenersWhileOpen[key] !== undefined)).toEqual([]);
    expect(stream.listenerCount("error")).toBe(1);
    // A stray late error is swallowed, not thrown.
    expect(() => stream.emit("error", new Error("late"))).not.toThrow();
  });
});
