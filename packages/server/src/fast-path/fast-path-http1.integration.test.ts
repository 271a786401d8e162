/**
 * The fast path over HTTP/1.1 against connect as shipped: two real servers, `fastPath: true`
 * and `fastPath: false`, get the same HTTP/1.1 requests, and every response must be the same
 * — status, header fields in order (the `date` value and generated request ids set aside),
 * body bytes, and whether the connection was kept for the next request. The diagnostics
 * channel tells which requests the fast path answered, so the battery also proves the fast
 * path is taken where it should be and left alone everywhere else. Browser-style calls
 * (an `Origin` header) are checked over HTTP/2 too.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import * as http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { HealthCheckRequestSchema, HelloRequestSchema } from "@hello/sdk";
import type { HelloServer } from "../server.js";
import { type Http1Exchange, type Http1Request, http1Exchange, normalizedHttp1 } from "../test-support/http1-exchange.js";
import { parsePrometheusText } from "../test-support/prometheus-text.js";
import { normalized, type RawRequest, rawExchange } from "../test-support/raw-exchange.js";
import { startTestServer } from "../test-support/start-test-server.js";
import { FAST_PATH_CHANNEL } from "./fast-path.js";

const SAY_HELLO = "/hello.v1.HelloService/SayHello";
const ORIGIN = "http://playground.test";
/** The servers' readMaxBytes: small, so that oversize requests are cheap to send. */
const READ_MAX_BYTES = 32 * 1024;

/** What handlers' signals were aborted with, by server, when a test asked (`x-test-abort-key`). */
const abortCodes = new Map<string, Code>();

/** Test hooks, driven by request headers; run innermost, after the server's own interceptors. */
const testInterceptor: Interceptor = (next) => async (req) => {
  const header = req.header;
  const abortKey = header.get("x-test-abort-key");
  if (abortKey !== null) {
    await new Promise((resolve) => req.signal.addEventListener("abort", resolve, { once: true }));
    abortCodes.set(abortKey, ConnectError.from(req.signal.reason).code);
    throw ConnectError.from(req.signal.reason);
  }
  const sleepMs = header.get("x-test-sleep-ms");
  if (sleepMs !== null) await sleep(Number(sleepMs), undefined, { signal: req.signal });
  if (header.has("x-test-throw")) throw new Error("secret database password");
  if (header.has("x-test-big-error")) {
    throw new ConnectError("big error", Code.Aborted, { "x-error-padding": "p".repeat(2000) });
  }
  if (header.has("x-test-connect-error")) {
    throw new ConnectError("precondition failed: 100% café", Code.FailedPrecondition, { "x-error-meta": "m1" }, [
      { desc: StringValueSchema, value: { value: "a detail" } },
    ]);
  }
  const res = await next(req);
  if (header.has("x-test-response-metadata")) {
    res.header.set("x-added-header", "h");
    res.header.append("set-cookie", "a=1");
    res.header.append("set-cookie", "b=2");
    res.trailer.set("x-added-trailer", "t");
  }
  return res;
};

let fast: HelloServer;
let slow: HelloServer;
const taken: unknown[] = [];
const onTaken = (message: unknown) => taken.push(message);

beforeAll(async () => {
  subscribe(FAST_PATH_CHANNEL, onTaken);
  const options = { interceptors: [testInterceptor], readMaxBytes: READ_MAX_BYTES };
  ({ server: fast } = await startTestServer({ ...options, fastPath: true }));
  ({ server: slow } = await startTestServer({ ...options, fastPath: false }));
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
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
/** A greeting whose reply is over 1 KiB (connect's compressMinBytes). */
const LONG = "€".repeat(400);
const JSON_TYPE = { "content-type": "application/json" };
const PROTO_TYPE = { "content-type": "application/proto" };
const WEB_TYPE = { "content-type": "application/grpc-web+proto" };
/** A body with its length declared (node:http sends it in one piece, not chunked). */
const sized = (body: Buffer) => ({ "content-length": String(body.length) });

interface Case {
  name: string;
  request: Http1Request;
  /** Whether the fast path must answer it (else it must fall through to connect). */
  fast: boolean;
}

const connect = (name: string, body: Buffer[], headers: Record<string, string>, isFast = true, path = SAY_HELLO): Case => ({
  name: `Connect: ${name}`,
  request: { path, headers, body },
  fast: isFast,
});
const web = (name: string, body: Buffer[], headers: Record<string, string> = {}, isFast = true, path = SAY_HELLO): Case => ({
  name: `gRPC-Web: ${name}`,
  request: { path, headers: { ...WEB_TYPE, ...headers }, body },
  fast: isFast,
});

const oversizedFrameHeader = Buffer.from([0, 0, 0, 0x80, 0x01]); // announces 32 KiB + 1 byte, over READ_MAX_BYTES
const bigBody = (bytes: number) => Buffer.alloc(bytes, 0x20);

const cases: Case[] = [
  // Connect unary: success
  connect("proto", [hello("hi")], { ...PROTO_TYPE, ...sized(hello("hi")) }),
  connect("proto, body chunked", [hello("hi")], PROTO_TYPE),
  connect("JSON", [json({ greeting: "hi" })], { ...JSON_TYPE, ...sized(json({ greeting: "hi" })) }),
  connect("JSON, body chunked in two parts", [Buffer.from('{"greet'), Buffer.from('ing":"split"}')], JSON_TYPE),
  connect("JSON with connect-protocol-version", [json({ greeting: "hi" })], { ...JSON_TYPE, "connect-protocol-version": "1" }),
  connect("client request id kept", [json({ greeting: "hi" })], { ...JSON_TYPE, "x-request-id": "req-123" }),
  connect("x-echo-* headers, ASCII and -bin", [json({ greeting: "hi" })], {
    ...JSON_TYPE,
    "x-echo-text": "some text",
    "x-echo-data-bin": "AAEC",
  }),
  connect("JSON, non-ASCII greeting (UTF-8 bytes over 0x7f in the reply)", [json({ greeting: "café € 😀" })], JSON_TYPE),
  connect("proto, non-ASCII greeting", [hello("café € 😀")], PROTO_TYPE),
  connect("Health.Check", [json({})], JSON_TYPE, true, "/grpc.health.v1.Health/Check"),
  connect("response metadata and trailers", [json({ greeting: "hi" })], { ...JSON_TYPE, "x-test-response-metadata": "1" }),
  // Connect unary: errors
  connect("validation error with details", [json({ greeting: "" })], JSON_TYPE),
  connect("malformed JSON", [Buffer.from('{"greeting": ')], JSON_TYPE),
  connect("JSON wrong field type", [json({ greeting: 42 })], JSON_TYPE),
  connect("empty body", [], JSON_TYPE),
  connect("proto garbage", [Buffer.from([0xff, 0xff, 0xff])], PROTO_TYPE),
  connect("unexpected exception", [json({ greeting: "hi" })], { ...JSON_TYPE, "x-test-throw": "1" }),
  connect("ConnectError with metadata and details", [json({ greeting: "hi" })], { ...JSON_TYPE, "x-test-connect-error": "1" }),
  // Connect unary: size limits (the early answers decide keep-alive; see the keep-alive cases)
  connect("content-length over readMaxBytes, small body drained", [bigBody(40 * 1024)], { ...JSON_TYPE, ...sized(bigBody(40 * 1024)) }),
  connect("content-length over readMaxBytes, large body: connection closed", [bigBody(200 * 1024)], {
    ...JSON_TYPE,
    ...sized(bigBody(200 * 1024)),
  }),
  connect("chunked body over readMaxBytes", [bigBody(20 * 1024), bigBody(20 * 1024), bigBody(200 * 1024)], JSON_TYPE),
  connect("content-length shorter than the body's JSON", [json({ greeting: "hi" })], { ...JSON_TYPE, "content-length": "5" }),
  // Connect unary: compression
  connect("gzip accepted, reply over 1 KiB", [json({ greeting: LONG })], { ...JSON_TYPE, "accept-encoding": "gzip, deflate, br" }),
  connect("br accepted, small reply", [json({ greeting: "hi" })], { ...JSON_TYPE, "accept-encoding": "br" }),
  connect("error body compressed", [json({ greeting: "hi" })], { ...JSON_TYPE, "accept-encoding": "gzip", "x-test-connect-error": "1" }),
  // Connect unary: deadlines
  connect("timeout in time", [json({ greeting: "hi" })], { ...JSON_TYPE, "connect-timeout-ms": "10000" }),
  connect("deadline exceeded", [json({ greeting: "hi" })], { ...JSON_TYPE, "connect-timeout-ms": "100", "x-test-sleep-ms": "5000" }),
  // Connect unary: browsers
  connect("allowed origin (CORS)", [json({ greeting: "hi" })], { ...JSON_TYPE, origin: ORIGIN }),
  connect("allowed origin, error", [json({ greeting: "" })], { ...JSON_TYPE, origin: ORIGIN }),
  connect("disallowed origin", [json({ greeting: "hi" })], { ...JSON_TYPE, origin: "http://evil.test" }),
  {
    name: "Connect: CORS preflight",
    request: { path: SAY_HELLO, method: "OPTIONS", headers: { origin: ORIGIN, "access-control-request-method": "POST" }, body: [] },
    fast: false,
  },
  // Connect: what falls through
  connect("gzip request", [gzipSync(json({ greeting: "hi" }))], { ...JSON_TYPE, "content-encoding": "gzip" }, false),
  connect("invalid timeout", [json({ greeting: "hi" })], { ...JSON_TYPE, "connect-timeout-ms": "-1" }, false),
  connect("JSON with charset", [json({ greeting: "hi" })], { "content-type": "application/json; charset=utf-8" }, false),
  connect("expect: 100-continue", [json({ greeting: "hi" })], { ...JSON_TYPE, expect: "100-continue" }, false),
  connect("unknown method", [json({})], JSON_TYPE, false, "/hello.v1.HelloService/Nope"),
  connect("path with a query", [json({ greeting: "hi" })], JSON_TYPE, false, `${SAY_HELLO}?x=1`),
  connect("streaming method", [json({ greeting: "hi" })], JSON_TYPE, false, "/hello.v1.HelloService/LotsOfReplies"),
  {
    name: "Connect: GET",
    request: {
      path: `${SAY_HELLO}?encoding=json&message=${encodeURIComponent('{"greeting":"get"}')}`,
      method: "GET",
      headers: {},
      body: [],
    },
    fast: false,
  },
  // gRPC-Web (binary)
  web("success", [helloFrame("hi")]),
  web("application/grpc-web", [helloFrame("hi")], { "content-type": "application/grpc-web" }),
  web("frame split over two chunks", [helloFrame("split").subarray(0, 3), helloFrame("split").subarray(3)]),
  web("validation error", [helloFrame("")]),
  web("unexpected exception", [helloFrame("hi")], { "x-test-throw": "1" }),
  web("ConnectError with metadata and details", [helloFrame("hi")], { "x-test-connect-error": "1" }),
  web("response metadata and trailers", [helloFrame("hi")], { "x-test-response-metadata": "1" }),
  web("frame over readMaxBytes", [oversizedFrameHeader, bigBody(100)]),
  web("truncated frame", [helloFrame("truncated").subarray(0, 8)]),
  web("extra message", [helloFrame("one"), helloFrame("two")]),
  web("empty body", []),
  web("garbage protobuf", [frame(Buffer.from([0xff, 0xff, 0xff, 0xff]))]),
  web("a trailer envelope after the message is skipped", [helloFrame("hi"), frame(Buffer.from("x-t: 1\r\n"), 0x80)]),
  web("gzip accepted, reply over 1 KiB", [helloFrame(LONG)], { "grpc-accept-encoding": "gzip" }),
  web("trailers over 1 KiB, gzip accepted", [helloFrame("hi")], { "grpc-accept-encoding": "gzip", "x-test-big-error": "1" }),
  web("grpc-timeout in time", [helloFrame("hi")], { "grpc-timeout": "10S" }),
  web("deadline exceeded", [helloFrame("hi")], { "grpc-timeout": "100m", "x-test-sleep-ms": "5000" }),
  web("allowed origin (CORS)", [helloFrame("hi")], { origin: ORIGIN }),
  web(
    "Health.Check",
    [frame(toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, {})))],
    {},
    true,
    "/grpc.health.v1.Health/Check",
  ),
  // gRPC-Web and gRPC: what falls through
  web("text encoding", [Buffer.from(helloFrame("hi").toString("base64"))], { "content-type": "application/grpc-web-text" }, false),
  web("compressed request", [frame(gzipSync(hello("zipped")), 1)], { "grpc-encoding": "gzip" }, false),
  {
    name: "gRPC over HTTP/1.1",
    request: { path: SAY_HELLO, headers: { "content-type": "application/grpc", te: "trailers" }, body: [helloFrame("hi")] },
    fast: false,
  },
];

/** One exchange on a fresh connection, with which path answered it. */
async function exchangeOnce(server: HelloServer, request: Http1Request): Promise<{ exchange: Http1Exchange; fastTaken: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    taken.length = 0;
    const exchange = await http1Exchange(server.url, request, agent);
    return { exchange, fastTaken: taken.length };
  } finally {
    agent.destroy();
  }
}

const sentId = (request: Http1Request) => request.headers["x-request-id"] !== undefined;

/**
 * The one way the fast path frames an answer differently from connect: it always declares
 * the body's length, where connect sends gRPC-Web answers chunked. Where connect's answer is
 * chunked, checks that the fast path's declares exactly the body's length instead, and
 * returns both exchanges without those two headers; every other pair is returned as it is
 * (and must then be equal, `content-length` included).
 */
function withFramingChecked(viaFastPath: Http1Exchange, viaConnect: Http1Exchange): [Http1Exchange, Http1Exchange] {
  const value = (exchange: Http1Exchange, name: string) => exchange.headers.filter(([n]) => n === name).map(([, v]) => v);
  if (value(viaConnect, "transfer-encoding").join() !== "chunked") return [viaFastPath, viaConnect];
  expect(value(viaConnect, "content-type")[0]).toMatch(/^application\/grpc-web/);
  expect({ length: value(viaFastPath, "content-length"), chunked: value(viaFastPath, "transfer-encoding") }).toEqual({
    length: [String(viaFastPath.body.length / 2)],
    chunked: [],
  });
  const without = (exchange: Http1Exchange, name: string) => ({ ...exchange, headers: exchange.headers.filter(([n]) => n !== name) });
  return [without(viaFastPath, "content-length"), without(viaConnect, "transfer-encoding")];
}

describe("the fast path over HTTP/1.1", () => {
  it.each(cases)("answers like connect: $name", async ({ request, fast: isFast }) => {
    const viaFastPath = await exchangeOnce(fast, request);
    const viaConnect = await exchangeOnce(slow, request);
    expect(viaConnect.fastTaken).toBe(0);
    const [fastFramed, connectFramed] = isFast
      ? withFramingChecked(viaFastPath.exchange, viaConnect.exchange)
      : [viaFastPath.exchange, viaConnect.exchange];
    expect(normalizedHttp1(fastFramed, sentId(request))).toEqual(normalizedHttp1(connectFramed, sentId(request)));
    expect(viaConnect.exchange.outcome).toBe("end");
    expect({ fastPathTaken: viaFastPath.fastTaken === 1 }).toEqual({ fastPathTaken: isFast });
  });

  it("keeps the connection for the next call after every kind of answer, as connect does", async () => {
    // Success, errors and early answers, one after the other on one connection per server:
    // each must reuse the connection exactly when connect's does, and answer the same.
    const sequence = cases.filter((c) => c.fast).map((c) => c.request);
    const results: Http1Exchange[][] = [];
    for (const server of [fast, slow]) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const seen: Http1Exchange[] = [];
      for (const request of sequence) seen.push(await http1Exchange(server.url, request, agent));
      agent.destroy();
      results.push(seen);
    }
    const framed = sequence.map((request, i) =>
      withFramingChecked(results[0]![i]!, results[1]![i]!).map((exchange) => normalizedHttp1(exchange, sentId(request))),
    );
    expect(framed.map(([viaFastPath]) => viaFastPath)).toEqual(framed.map(([, viaConnect]) => viaConnect));
    // Most calls went on a kept connection (the ones after a `connection: close` answer did not).
    expect(results[0]!.filter((e) => e.reusedSocket).length).toBeGreaterThan(sequence.length / 2);
  });

  it("aborts the handler's signal when the client closes its connection mid-call, and records it as connect's path does", async () => {
    /** SayHello calls the server's metrics saw end, by code. */
    const endedCalls = async (server: HelloServer) =>
      parsePrometheusText(await (await fetch(`${server.url}/metrics`)).text())
        .filter((s) => s.name === "grpc_server_handled_total" && s.labels["grpc_method"] === "SayHello")
        .map((s) => ({ code: s.labels["grpc_code"], count: s.value }));
    const codes: (Code | undefined)[] = [];
    const recorded: unknown[] = [];
    for (const [name, server] of [
      ["fast", fast],
      ["connect", slow],
    ] as const) {
      const before = await endedCalls(server);
      const key = `${name}-${Date.now()}`;
      const req = http.request(`${server.url}${SAY_HELLO}`, {
        method: "POST",
        headers: { ...JSON_TYPE, "x-test-abort-key": key },
        agent: false,
      });
      req.on("error", () => {});
      req.end(json({ greeting: "leaving" }));
      // The call is running (its handler waits for the abort) once the request is out.
      await sleep(200);
      req.destroy();
      for (let i = 0; i < 100 && !abortCodes.has(key); i++) await sleep(20);
      codes.push(abortCodes.get(key));
      let after = before;
      for (let i = 0; i < 100 && JSON.stringify(after) === JSON.stringify(before); i++) {
        await sleep(20);
        after = await endedCalls(server);
      }
      recorded.push(after.filter((a) => !before.some((b) => b.code === a.code && b.count === a.count)).map((a) => a.code));
    }
    // Both signals were aborted. The fast path says CANCELED for a dropped connection, as
    // it does over HTTP/2; connect-node aborts without a reason (which reads as UNKNOWN).
    expect(codes[0]).toBe(Code.Canceled);
    expect(codes[1]).toBeDefined();
    // The metrics (and the call log) record the call as CANCELED either way.
    expect(recorded).toEqual([["Canceled"], ["Canceled"]]);
  });

  it("is taken by connect's own Connect and gRPC-Web clients over HTTP/1.1", async () => {
    const { createClient } = await import("@connectrpc/connect");
    const { createConnectTransport, createGrpcWebTransport } = await import("@connectrpc/connect-node");
    const { HelloService } = await import("@hello/sdk");
    taken.length = 0;
    for (const [make, useBinaryFormat] of [
      [createConnectTransport, false],
      [createConnectTransport, true],
      [createGrpcWebTransport, true],
    ] as const) {
      const client = createClient(HelloService, make({ baseUrl: fast.url, httpVersion: "1.1", useBinaryFormat }));
      const res = await client.sayHello({ greeting: "client" });
      expect(res.reply).toBe("Hello, client!");
    }
    expect(taken).toEqual([
      { path: SAY_HELLO, protocol: "connect", httpVersion: "1.1" },
      { path: SAY_HELLO, protocol: "connect", httpVersion: "1.1" },
      { path: SAY_HELLO, protocol: "grpc-web", httpVersion: "1.1" },
    ]);
  });
});

describe("browser calls over HTTP/2", () => {
  const h2 = (name: string, headers: Record<string, string>, body: Buffer[]): [string, RawRequest] => [
    name,
    { path: SAY_HELLO, headers, body },
  ];
  it.each([
    h2("Connect JSON, allowed origin", { ...JSON_TYPE, origin: ORIGIN }, [json({ greeting: "hi" })]),
    h2("Connect JSON, allowed origin, error", { ...JSON_TYPE, origin: ORIGIN }, [json({ greeting: "" })]),
    h2("Connect proto, disallowed origin", { ...PROTO_TYPE, origin: "http://evil.test" }, [hello("hi")]),
    h2("gRPC-Web, allowed origin", { ...WEB_TYPE, origin: ORIGIN }, [helloFrame("hi")]),
    h2("gRPC, allowed origin", { "content-type": "application/grpc", te: "trailers", origin: ORIGIN }, [helloFrame("hi")]),
  ])("take the fast path with connect's CORS headers: %s", async (_name, request) => {
    taken.length = 0;
    const viaFastPath = await rawExchange(fast.url, request);
    expect(taken).toHaveLength(1);
    taken.length = 0;
    const viaConnect = await rawExchange(slow.url, request);
    expect(taken).toHaveLength(0);
    expect(normalized(viaFastPath, false)).toEqual(normalized(viaConnect, false));
    expect(viaConnect.outcome).toBe("end");
    if (request.headers.origin === ORIGIN) expect(viaFastPath.headers["access-control-allow-origin"]).toBe(ORIGIN);
  });
});
