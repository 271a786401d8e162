/**
 * The server's integration suite: a real server on a port-0 socket, called over every
 * protocol and HTTP version it serves, by connect's own clients and by raw HTTP/2 and
 * HTTP/1.1 requests where the wire itself is the point.
 */
import * as http from "node:http";
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { Code, ConnectError, createClient, decodeBinaryHeader, encodeBinaryHeader, type Client, type Transport } from "@connectrpc/connect";
import {
  compressionGzip,
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import { HelloRequestSchema, HelloService } from "@hello/sdk";
import type { HelloServer } from "./server.js";
import { grpcFrame, grpcStatusOf, grpcUnframe, helloRequestBytes, rawHttp2Request } from "./test-support/raw-grpc.js";
import { type ServerEvents, startTestServer } from "./test-support/start-test-server.js";
import { gzipSync, brotliCompressSync } from "node:zlib";

let server: HelloServer;
let events: ServerEvents;
const sessions: Http2SessionManager[] = [];

beforeAll(async () => {
  ({ server, events } = await startTestServer());
});
afterAll(async () => {
  for (const s of sessions) s.abort(new Error("test suite done"));
  await server.close(1_000);
});

interface Variant {
  name: string;
  http2: boolean;
  transport(options?: { sendCompression?: boolean }): Transport;
}

function h2(): { httpVersion: "2"; sessionManager: Http2SessionManager } {
  const sessionManager = new Http2SessionManager(server.url);
  sessions.push(sessionManager);
  return { httpVersion: "2", sessionManager };
}

const compression = (o?: { sendCompression?: boolean }) =>
  o?.sendCompression ? { sendCompression: compressionGzip, compressMinBytes: 1 } : {};

const variants: Variant[] = [
  {
    name: "gRPC over HTTP/2",
    http2: true,
    transport: (o) => createGrpcTransport({ baseUrl: server.url, ...h2(), ...compression(o) }),
  },
  {
    name: "gRPC-Web over HTTP/1.1",
    http2: false,
    transport: (o) => createGrpcWebTransport({ baseUrl: server.url, httpVersion: "1.1", ...compression(o) }),
  },
  {
    name: "gRPC-Web over HTTP/2",
    http2: true,
    transport: (o) => createGrpcWebTransport({ baseUrl: server.url, ...h2(), ...compression(o) }),
  },
  {
    name: "Connect over HTTP/1.1",
    http2: false,
    transport: (o) => createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", ...compression(o) }),
  },
  {
    name: "Connect over HTTP/2",
    http2: true,
    transport: (o) => createConnectTransport({ baseUrl: server.url, ...h2(), ...compression(o) }),
  },
  {
    name: "Connect JSON over HTTP/1.1",
    http2: false,
    transport: (o) => createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", useBinaryFormat: false, ...compression(o) }),
  },
];

async function* fromArray<T>(items: T[]): AsyncIterable<T> {
  for (const item of items) yield item;
}

async function expectError(promise: Promise<unknown>, code: Code): Promise<ConnectError> {
  try {
    await promise;
  } catch (e) {
    const err = ConnectError.from(e);
    expect(Code[err.code]).toBe(Code[code]);
    return err;
  }
  throw new Error(`expected ${Code[code]}, but the call succeeded`);
}

async function drain<T>(it: AsyncIterable<T>, into: T[] = []): Promise<T[]> {
  for await (const item of it) into.push(item);
  return into;
}

describe.each(variants)("$name", (variant) => {
  let client: Client<typeof HelloService>;
  beforeAll(() => {
    client = createClient(HelloService, variant.transport());
  });

  it("SayHello answers with a reply that contains the greeting", async () => {
    const res = await client.sayHello({ greeting: "unary" });
    expect(res.reply).toBe("Hello, unary!");
  });

  it("LotsOfReplies streams reply_count replies, each with the greeting", async () => {
    const replies = await drain(client.lotsOfReplies({ greeting: "stream", replyCount: 4 }));
    expect(replies.map((r) => r.reply)).toEqual([
      "Hello, stream! (reply 1 of 4)",
      "Hello, stream! (reply 2 of 4)",
      "Hello, stream! (reply 3 of 4)",
      "Hello, stream! (reply 4 of 4)",
    ]);
  });

  it("LotsOfReplies sends the documented default of 3 replies when reply_count is 0", async () => {
    const replies = await drain(client.lotsOfReplies({ greeting: "default" }));
    expect(replies).toHaveLength(3);
  });

  it("LotsOfReplies pauses reply_interval between replies", async () => {
    const times: number[] = [];
    const started = performance.now();
    for await (const _ of client.lotsOfReplies({ greeting: "slow", replyCount: 3, replyInterval: durationFromMs(150) })) {
      times.push(performance.now() - started);
    }
    expect(times).toHaveLength(3);
    // Lower bounds from the call's start: reply n cannot arrive before n - 1 intervals have
    // passed, however late an earlier reply was delivered (gaps between arrivals can shrink
    // on a busy machine, the time since the start cannot).
    expect(times[1]!).toBeGreaterThanOrEqual(145);
    expect(times[2]!).toBeGreaterThanOrEqual(295);
  });

  it("LotsOfGreetings answers once, with every greeting in order", async () => {
    const res = await client.lotsOfGreetings(
      fromArray(["one", "two", "three"].map((greeting) => create(HelloRequestSchema, { greeting }))),
    );
    expect(res.reply).toBe("Hello, one, two, three!");
  });

  it("sends x-request-id back: the client's own, on success and on error", async () => {
    let header: Headers | undefined;
    await client.sayHello({ greeting: "id" }, { headers: { "x-request-id": "req-123" }, onHeader: (h) => (header = h) });
    expect(header?.get("x-request-id")).toBe("req-123");

    const err = await expectError(client.sayHello({ greeting: "" }, { headers: { "x-request-id": "req-456" } }), Code.InvalidArgument);
    expect(err.metadata.get("x-request-id")).toBe("req-456");
  });

  it("makes up a request id when the client sends none", async () => {
    let header: Headers | undefined;
    await client.sayHello({ greeting: "id" }, { onHeader: (h) => (header = h) });
    expect(header?.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("accepts binary -bin metadata and round-trips it byte for byte", async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255, 10, 13]);
    let header: Headers | undefined;
    let trailer: Headers | undefined;
    await client.sayHello(
      { greeting: "meta" },
      {
        headers: { "x-echo-token-bin": encodeBinaryHeader(bytes), "x-echo-plain": "text value" },
        onHeader: (h) => (header = h),
        onTrailer: (t) => (trailer = t),
      },
    );
    expect(decodeBinaryHeader(header?.get("x-echo-token-bin") ?? "")).toEqual(bytes);
    expect(header?.get("x-echo-plain")).toBe("text value");
    expect(trailer?.get("x-reply-count")).toBe("1");
  });

  describe("validation", () => {
    const cases: { name: string; request: Parameters<typeof client.sayHello>[0]; field: string; rule: string }[] = [
      { name: "an empty greeting", request: { greeting: "" }, field: "greeting", rule: "string.min_len" },
      { name: "a greeting over 1,000 characters", request: { greeting: "x".repeat(1001) }, field: "greeting", rule: "string.max_len" },
      { name: "reply_count over 1,000", request: { greeting: "hi", replyCount: 1001 }, field: "reply_count", rule: "uint32.lte" },
      // protovalidate names a combined range rule "gte_lte".
      {
        name: "reply_interval over 10 s",
        request: { greeting: "hi", replyInterval: durationFromMs(10_001) },
        field: "reply_interval",
        rule: "duration.gte_lte",
      },
      {
        name: "a negative reply_interval",
        request: { greeting: "hi", replyInterval: durationFromMs(-1) },
        field: "reply_interval",
        rule: "duration.gte_lte",
      },
    ];
    it.each(cases)("rejects $name with INVALID_ARGUMENT naming the field", async ({ request, field, rule }) => {
      const err = await expectError(client.sayHello(request), Code.InvalidArgument);
      expect(err.rawMessage).toContain(field);
      const [violations] = err.findDetails(ViolationsSchema);
      expect(violations?.violations).toHaveLength(1);
      const violation = violations!.violations[0]!;
      expect(violation.field?.elements.map((e) => e.fieldName)).toEqual([field]);
      expect(violation.ruleId).toBe(rule);
    });

    it("validates every message of a client stream", async () => {
      const err = await expectError(
        client.lotsOfGreetings(fromArray([create(HelloRequestSchema, { greeting: "fine" }), create(HelloRequestSchema, { greeting: "" })])),
        Code.InvalidArgument,
      );
      expect(err.rawMessage).toContain("greeting");
    });

    it("accepts the limits themselves", async () => {
      const res = await client.sayHello({ greeting: "x".repeat(1000), replyCount: 1000, replyInterval: durationFromMs(10_000) });
      expect(res.reply).toContain("x".repeat(1000));
    });
  });

  it("rejects a request message over 4 MiB with RESOURCE_EXHAUSTED and keeps serving", async () => {
    await expectError(client.sayHello({ greeting: "x".repeat(4 * 1024 * 1024 + 1) }), Code.ResourceExhausted);
    expect((await client.sayHello({ greeting: "after" })).reply).toBe("Hello, after!");
  });

  it("accepts gzip-compressed requests and answers compressed ones", async () => {
    const compressed = createClient(HelloService, variant.transport({ sendCompression: true }));
    const greetings = ["a", "b", "c"].map((c) => create(HelloRequestSchema, { greeting: c.repeat(1000) }));
    const res = await compressed.lotsOfGreetings(fromArray(greetings));
    expect(res.reply).toBe(`Hello, ${"a".repeat(1000)}, ${"b".repeat(1000)}, ${"c".repeat(1000)}!`);
  });

  it("ends LotsOfReplies with DEADLINE_EXCEEDED mid-stream and stops the work on the server", async () => {
    const ended = events.nextEnd("LotsOfReplies");
    const got: unknown[] = [];
    await expectError(
      drain(client.lotsOfReplies({ greeting: "deadline", replyCount: 50, replyInterval: durationFromMs(100) }, { timeoutMs: 450 }), got),
      Code.DeadlineExceeded,
    );
    expect(got.length).toBeGreaterThanOrEqual(2);
    expect(got.length).toBeLessThan(50);
    const end = await ended;
    expect(end.end).toBe("aborted");
    expect(end.replies).toBeLessThan(10);
  });

  it("stops LotsOfReplies on the server when the client cancels", async () => {
    const ended = events.nextEnd("LotsOfReplies");
    const abort = new AbortController();
    const got: unknown[] = [];
    const call = drain(
      client.lotsOfReplies({ greeting: "cancel", replyCount: 1000, replyInterval: durationFromMs(50) }, { signal: abort.signal }),
      got,
    );
    while (got.length < 2) await new Promise((r) => setTimeout(r, 10));
    abort.abort();
    await expectError(call, Code.Canceled);
    // The handler's loop ended on the server, early, and produced nothing after that.
    const end = await ended;
    expect(end.end).toBe("aborted");
    expect(end.replies).toBeLessThan(10);
    const countAfterEnd = events.replies.filter((r) => r.method === "LotsOfReplies").length;
    await new Promise((r) => setTimeout(r, 300));
    expect(events.replies.filter((r) => r.method === "LotsOfReplies").length).toBe(countAfterEnd);
    // A client that leaves is normal operation: nothing was reported as a server fault.
    expect(events.unexpected).toEqual([]);
  });

  if (variant.http2) {
    it("BidiHello answers each greeting as soon as it arrives (ping-pong)", async () => {
      // The next request is only sent after the previous reply arrived: a server that
      // buffered until the end would deadlock here.
      const inbox: string[] = [];
      let deliver: (() => void) | undefined;
      const outgoing = (async function* () {
        for (const greeting of ["ping 1", "ping 2", "ping 3"]) {
          yield create(HelloRequestSchema, { greeting });
          const before = inbox.length;
          while (inbox.length === before) await new Promise<void>((r) => (deliver = r));
        }
      })();
      for await (const res of client.bidiHello(outgoing, { timeoutMs: 5_000 })) {
        inbox.push(res.reply);
        deliver?.();
      }
      expect(inbox).toEqual(["Hello, ping 1!", "Hello, ping 2!", "Hello, ping 3!"]);
    });
  } else {
    it("BidiHello over HTTP/1.1 fails with a clear error", async () => {
      const err = await expectError(
        drain(client.bidiHello(fromArray([create(HelloRequestSchema, { greeting: "x" })]))),
        Code.Unimplemented,
      );
      expect(err.rawMessage).toMatch(/needs HTTP\/2/);
    });
  }
});

describe("BidiHello over raw HTTP/1.1", () => {
  it("answers a Connect stream with an end-of-stream error saying HTTP/2 is needed", async () => {
    const res = await http1Request("/hello.v1.HelloService/BidiHello", {
      method: "POST",
      headers: { "content-type": "application/connect+proto" },
      body: Buffer.alloc(0),
    });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/connect+proto");
    expect(res.body[0]).toBe(0b10);
    expect(res.body.readUInt32BE(1)).toBe(res.body.length - 5);
    expect(JSON.parse(res.body.subarray(5).toString())).toEqual({
      error: { code: "unimplemented", message: expect.stringMatching(/bidirectional stream and needs HTTP\/2/) },
    });
  });

  it("answers a Connect unary-style request with 505 and a JSON error", async () => {
    const res = await http1Request("/hello.v1.HelloService/BidiHello", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: Buffer.from("{}"),
    });
    expect(res.status).toBe(505);
    expect(JSON.parse(res.body.toString())).toEqual({
      code: "unimplemented",
      message: expect.stringMatching(/bidirectional stream and needs HTTP\/2/),
    });
  });
});

function http1Request(
  path: string,
  init: { method: string; headers: Record<string, string>; body?: Buffer },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${server.url}${path}`, { method: init.method, headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

describe("on the wire", () => {
  const sayHello = "/hello.v1.HelloService/SayHello";
  const grpcHeaders = { "content-type": "application/grpc", te: "trailers" };

  it("answers a C-style gRPC request with grpc-status 0 and offers gzip and br", async () => {
    const res = await rawHttp2Request(server.url, sayHello, grpcHeaders, grpcFrame(helloRequestBytes("raw")));
    expect(grpcStatusOf(res).code).toBe(0);
    expect(String(res.headers["grpc-accept-encoding"])).toMatch(/gzip/);
    expect(String(res.headers["grpc-accept-encoding"])).toMatch(/br/);
    const [frame] = grpcUnframe(res.body);
    expect(frame?.data.toString()).toContain("Hello, raw!");
  });

  it.each([
    ["gzip", gzipSync],
    ["br", brotliCompressSync],
  ] as const)("decodes a %s-compressed request message", async (encoding, compress) => {
    const res = await rawHttp2Request(
      server.url,
      sayHello,
      { ...grpcHeaders, "grpc-encoding": encoding },
      grpcFrame(compress(helloRequestBytes("squeezed")), true),
    );
    expect(grpcStatusOf(res)).toEqual({ code: 0, message: "" });
    expect(grpcUnframe(res.body)[0]?.data.toString()).toContain("Hello, squeezed!");
  });

  it("compresses a large response with gzip when the client accepts it", async () => {
    const body = [1, 2, 3].map((i) => grpcFrame(helloRequestBytes(String(i).repeat(1000))));
    const res = await rawHttp2Request(
      server.url,
      "/hello.v1.HelloService/LotsOfGreetings",
      { ...grpcHeaders, "grpc-accept-encoding": "gzip" },
      body,
    );
    expect(grpcStatusOf(res).code).toBe(0);
    expect(res.headers["grpc-encoding"]).toBe("gzip");
    const [frame] = grpcUnframe(res.body);
    expect(frame?.flags).toBe(1);
    expect(frame?.data.toString()).toContain("1".repeat(1000));
  });

  it("answers an unknown method with UNIMPLEMENTED over gRPC, gRPC-Web and Connect", async () => {
    const grpc = await rawHttp2Request(server.url, "/hello.v1.HelloService/Nope", grpcHeaders, grpcFrame(helloRequestBytes("x")));
    expect(grpcStatusOf(grpc)).toEqual({ code: Code.Unimplemented, message: "unknown method /hello.v1.HelloService/Nope" });
    const unknownService = await rawHttp2Request(server.url, "/other.v1.Thing/Do", grpcHeaders, grpcFrame(Buffer.alloc(0)));
    expect(grpcStatusOf(unknownService).code).toBe(Code.Unimplemented);

    const web = await http1Request("/hello.v1.HelloService/Nope", {
      method: "POST",
      headers: { "content-type": "application/grpc-web+proto" },
      body: grpcFrame(helloRequestBytes("x")),
    });
    expect(web.headers["grpc-status"]).toBe(String(Code.Unimplemented));
    expect(web.headers["x-request-id"]).toBeDefined();

    const connect = await http1Request("/hello.v1.HelloService/Nope", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: Buffer.from("{}"),
    });
    expect(connect.status).toBe(404);
    expect(JSON.parse(connect.body.toString())).toEqual({ code: "unimplemented", message: "unknown method /hello.v1.HelloService/Nope" });
  });

  it("serves Connect GET for the side-effect-free SayHello", async () => {
    const message = encodeURIComponent(JSON.stringify({ greeting: "get" }));
    const res = await http1Request(`${sayHello}?connect=v1&encoding=json&message=${message}`, { method: "GET", headers: {} });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toEqual({ reply: "Hello, get!" });
  });

  it("turns an unexpected exception into INTERNAL without internals on the wire", async () => {
    const { server: failing, events: failingEvents } = await startTestServer({
      interceptors: [
        () => () => {
          throw new Error("secret database password in this message");
        },
      ],
    });
    try {
      const res = await rawHttp2Request(failing.url, sayHello, grpcHeaders, grpcFrame(helloRequestBytes("boom")));
      const status = grpcStatusOf(res);
      expect(status).toEqual({ code: Code.Internal, message: "internal error" });
      const everything = JSON.stringify([res.headers, res.trailers]) + res.body.toString();
      expect(everything).not.toContain("secret");
      expect(everything).not.toMatch(/\bat .*\.(ts|js):\d+/);
      expect(failingEvents.unexpected).toHaveLength(1);
    } finally {
      await failing.close(500);
    }
  });

  describe("bad input gets a clear error and never disturbs other calls", () => {
    it("survives a barrage of garbage while a stream on another connection completes", async () => {
      const client = createClient(HelloService, createGrpcTransport({ baseUrl: server.url, ...h2() }));
      const stream = drain(client.lotsOfReplies({ greeting: "steady", replyCount: 20, replyInterval: durationFromMs(20) }));

      // Random bytes where a gRPC frame should be.
      // Its bytes 1-4 read as a length of ~1.7 GB: refused by the size limit, never buffered.
      const random = await rawHttp2Request(server.url, sayHello, grpcHeaders, Buffer.from("this is not a grpc frame at all, just bytes"));
      expect(grpcStatusOf(random).code).toBe(Code.ResourceExhausted);
      expect(grpcStatusOf(random).message).toMatch(/larger than configured readMaxBytes/);
      // A well-formed frame whose payload is not a protobuf message: INTERNAL, as grpc-go and
      // grpc-java answer an undecodable request (see docs/design.md).
      const notProto = await rawHttp2Request(server.url, sayHello, grpcHeaders, grpcFrame(Buffer.from([0xff, 0xff, 0xff, 0xff])));
      expect(grpcStatusOf(notProto)).toEqual({ code: Code.Internal, message: "parse binary: premature EOF" });
      // A frame header promising 100 bytes, followed by only 3, then the end of the stream.
      const truncated = await rawHttp2Request(
        server.url,
        sayHello,
        grpcHeaders,
        Buffer.concat([grpcFrame(Buffer.alloc(100)).subarray(0, 8)]),
      );
      expect(grpcStatusOf(truncated).code).toBe(Code.InvalidArgument);
      expect(grpcStatusOf(truncated).message).not.toBe("");
      // A frame header announcing 2 GiB: refused by the size limit before reading.
      const huge = Buffer.alloc(5);
      huge.writeUInt32BE(0x7fffffff, 1);
      const oversized = await rawHttp2Request(server.url, sayHello, grpcHeaders, huge);
      expect(grpcStatusOf(oversized).code).toBe(Code.ResourceExhausted);
      // A content type nobody speaks.
      const wrongType = await http1Request(sayHello, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: Buffer.from("hello"),
      });
      expect(wrongType.status).toBe(415);
      // Connect JSON that does not parse.
      const badJson = await http1Request(sayHello, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: Buffer.from('{"greeting": '),
      });
      expect(badJson.status).toBe(400);
      expect(JSON.parse(badJson.body.toString()).code).toBe("invalid_argument");
      // JSON with a field of the wrong type.
      const wrongField = await http1Request(sayHello, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: Buffer.from('{"greeting": 42}'),
      });
      expect(wrongField.status).toBe(400);
      // Not HTTP at all on the shared port.
      await new Promise<void>((resolve) => {
        const socket = require("node:net").connect(server.port, "127.0.0.1", () => socket.end("\x16\x03\x01 garbage, not http\r\n\r\n"));
        socket.on("close", () => resolve());
        socket.on("error", () => resolve());
        socket.resume();
      });

      const replies = await stream;
      expect(replies).toHaveLength(20);
      expect((await client.sayHello({ greeting: "still here" })).reply).toBe("Hello, still here!");
    });
  });
});

describe("CORS", () => {
  it("answers a preflight from an allowed origin and exposes the RPC headers", async () => {
    const res = await http1Request("/hello.v1.HelloService/SayHello", {
      method: "OPTIONS",
      headers: {
        origin: "http://playground.test",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,connect-protocol-version,x-grpc-web,x-request-id",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers["access-control-allow-origin"]).toBe("http://playground.test");
    expect(String(res.headers["access-control-allow-headers"])).toMatch(/connect-protocol-version/i);
    expect(String(res.headers["access-control-allow-headers"])).toMatch(/x-grpc-web/i);
    const simple = await http1Request("/hello.v1.HelloService/SayHello", {
      method: "POST",
      headers: { origin: "http://playground.test", "content-type": "application/json" },
      body: Buffer.from('{"greeting":"cors"}'),
    });
    expect(String(simple.headers["access-control-expose-headers"])).toMatch(/grpc-status/i);
    expect(String(simple.headers["access-control-expose-headers"])).toMatch(/x-request-id/);
  });

  it("gives no CORS headers to an origin that is not allowed", async () => {
    const res = await http1Request("/hello.v1.HelloService/SayHello", {
      method: "OPTIONS",
      headers: { origin: "http://evil.test", "access-control-request-method": "POST" },
    });
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
  });
});
