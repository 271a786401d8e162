/**
 * `createFastPath` on its own, against connect's adapter given the same routes,
 * interceptors and options: two bare `node:http2` servers, one with the fast path in front
 * (`routeHttp2Streams`), get the same requests. The handlers here report what they see of
 * their context (URL, method, headers, values, timeout, signal) so the contexts can be
 * compared too, and they fail in ways the server's error boundary would otherwise hide.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  createContextKey,
  createContextValues,
  type HandlerContext,
  type Interceptor,
} from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, connectNodeAdapter } from "@connectrpc/connect-node";
import { HelloRequestSchema, HelloResponseSchema, HelloService } from "@hello/sdk";
import { guardReservedMetadata } from "../services/guard-reserved-metadata.js";
import { normalized, type RawRequest, rawExchange } from "../test-support/raw-exchange.js";
import { trailersOnlyWhenEmpty } from "../http/trailers-only-when-empty.js";
import { protocolOf } from "../http/write-rpc-error.js";
import { routeHttp2Streams } from "./route-http2-streams.js";
import { captureFastPathMethods } from "./capture-fast-path-methods.js";
import { createFastPath, FAST_PATH_CHANNEL } from "./fast-path.js";

const SAY_HELLO = "/hello.v1.HelloService/SayHello";
const valueKey = createContextKey<string>("none", { description: "test value" });

/** What a handler saw of its context, by the server that ran it. */
const seen = new Map<string, { ctx: Record<string, unknown>; signal: AbortSignal; reason: Promise<unknown> }>();

function describeContext(ctx: HandlerContext): Record<string, unknown> {
  const remaining = ctx.timeoutMs();
  const { timeoutMs } = ctx; // connect's is a plain function: taking it off the context works
  return {
    url: ctx.url,
    requestMethod: ctx.requestMethod,
    protocolName: ctx.protocolName,
    service: ctx.service.typeName,
    method: ctx.method.name,
    requestHeader: [...ctx.requestHeader].filter(([k]) => k !== "x-test-server"),
    responseHeader: [...ctx.responseHeader],
    responseTrailer: [...ctx.responseTrailer],
    value: ctx.values.get(valueKey),
    hasTimeout: remaining !== undefined,
    timeoutSane: remaining === undefined || (remaining > 0 && remaining <= 60_000 && typeof timeoutMs() === "number"),
    signalAborted: ctx.signal.aborted,
  };
}

const routes = (router: ConnectRouter) => {
  router.service(
    HelloService,
    guardReservedMetadata(HelloService, {
      async sayHello(req, ctx) {
        const key = ctx.requestHeader.get("x-test-key");
        if (key !== null) {
          const reason = new Promise<unknown>((resolve) => {
            if (ctx.signal.aborted) resolve(ctx.signal.reason);
            ctx.signal.addEventListener("abort", () => resolve(ctx.signal.reason), { once: true });
          });
          seen.set(`${key}/${ctx.requestHeader.get("x-test-server")}`, { ctx: describeContext(ctx), signal: ctx.signal, reason });
        }
        switch (req.greeting) {
          case "reserved header":
            ctx.responseHeader.set("grpc-custom", "x");
            break;
          case "reserved trailer":
            ctx.responseTrailer.set("grpc-message", "mine");
            break;
          case "throw":
            ctx.responseHeader.set("x-before-throw", "kept");
            ctx.responseTrailer.set("x-trailer-before-throw", "kept");
            throw new TypeError("not a ConnectError");
          case "throw undefined":
            throw undefined;
          case "lone surrogate":
            throw new ConnectError("broken \ud800 text", Code.FailedPrecondition);
          case "wait for abort":
            await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
            throw ConnectError.from(ctx.signal.reason);
          case "cookies":
            ctx.responseHeader.append("set-cookie", "a=1");
            ctx.responseHeader.append("set-cookie", "b=2");
            ctx.responseHeader.append("x-multi", "1");
            ctx.responseHeader.append("x-multi", "2");
            break;
        }
        return { reply: `Hello, ${req.greeting}!` };
      },
      async *lotsOfReplies(req, ctx) {
        const server = ctx.requestHeader.get("x-test-server");
        switch (req.greeting) {
          case "ignore the signal":
            // Never looks at its signal: only closing the response stream (`return()`) stops it.
            try {
              for (let i = 0; ; i++) {
                yield { reply: String(i) };
                await new Promise((resolve) => setTimeout(resolve, 5));
              }
            } finally {
              closedStreams.push(server);
            }
          case "connection header":
          case "keep-alive header":
            try {
              // Connection-specific: Node's compatibility API drops `connection`, refuses `keep-alive`.
              if (req.greeting === "connection header") ctx.responseHeader.set("connection", "close");
              else ctx.responseHeader.set("keep-alive", "timeout=5");
              yield { reply: "1" };
              yield { reply: "never" };
            } finally {
              closedStreams.push(`${server}: ${req.greeting}`);
            }
            break;
          case "throw after two":
            yield { reply: "1" };
            yield { reply: "2" };
            ctx.responseTrailer.set("x-trailer-before-throw", "kept");
            throw new TypeError("not a ConnectError");
          case "reserved trailer":
            yield { reply: "1" };
            ctx.responseTrailer.set("grpc-status-details-bin", "AAAA");
            break;
          case "header after first":
            yield { reply: "1" };
            ctx.responseHeader.set("x-too-late", "1");
            yield { reply: "2" };
            break;
          default:
            for (let i = 0; i < req.replyCount; i++) yield { reply: `${req.greeting} ${i}` };
        }
      },
      async lotsOfGreetings(reqs, ctx) {
        const mode = ctx.requestHeader.get("x-mode");
        noteContext(ctx);
        switch (mode) {
          case "throw before reading":
            ctx.responseHeader.set("x-before-throw", "kept");
            ctx.responseTrailer.set("x-trailer-before-throw", "kept");
            throw new TypeError("not a ConnectError");
          case "answer after one":
            // Answers while the client still sends.
            for await (const req of reqs) return { reply: `first: ${req.greeting}` };
            return { reply: "none" };
          case "wait for abort":
            for await (const _ of reqs) break;
            await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
            throw ConnectError.from(ctx.signal.reason);
          case "gated": {
            // Reads nothing until the test opens the gate: the request must wait (backpressure).
            await new Promise((resolve) => gates.set(String(ctx.requestHeader.get("x-test-server")), resolve));
            let count = 0;
            let bytes = 0;
            for await (const req of reqs) {
              count++;
              bytes += req.greeting.length;
            }
            return { reply: `${count} greetings, ${bytes} characters` };
          }
        }
        const greetings: string[] = [];
        for await (const req of reqs) greetings.push(req.greeting);
        if (mode === "throw after reading") {
          ctx.responseTrailer.set("x-trailer-before-throw", "kept");
          throw new ConnectError(`read ${greetings.length}`, Code.FailedPrecondition);
        }
        ctx.responseHeader.set("x-count", String(greetings.length));
        ctx.responseTrailer.set("x-trailer", "t");
        return { reply: `${greetings.length} greetings: ${greetings.join(",")}` };
      },
      async *bidiHello(reqs, ctx) {
        const mode = ctx.requestHeader.get("x-mode");
        noteContext(ctx);
        switch (mode) {
          case "throw before reading":
            ctx.responseTrailer.set("x-trailer-before-throw", "kept");
            throw new TypeError("not a ConnectError");
          case "answer first":
            // Full duplex: a reply before any request message is read, then one echo.
            yield { reply: "before reading" };
            for await (const req of reqs) {
              yield { reply: `echo ${req.greeting}` };
              return;
            }
            return;
          case "throw after one":
            for await (const req of reqs) {
              yield { reply: `echo ${req.greeting}` };
              ctx.responseTrailer.set("x-trailer-before-throw", "kept");
              throw new ConnectError("after one", Code.Aborted);
            }
            return;
          case "end after one":
            // Ends the response while the client still sends.
            for await (const req of reqs) {
              yield { reply: `only ${req.greeting}` };
              return;
            }
            return;
          case "wait for abort":
            for await (const req of reqs) {
              yield { reply: `echo ${req.greeting}` };
              break;
            }
            await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
            throw ConnectError.from(ctx.signal.reason);
        }
        ctx.responseHeader.set("x-mode-seen", String(mode));
        for await (const req of reqs) yield { reply: `echo ${req.greeting}` };
        ctx.responseTrailer.set("x-trailer", "t");
      },
    }),
  );
};

/** The server side of "gated" client streams, by server. */
const gatedStreams = new Map<string, http2.ServerHttp2Stream>();

/** Gates of "gated" client streams, by server: opening one lets the handler read. */
const gates = new Map<string, (value: unknown) => void>();

/** Records a streaming handler's context and signal under its `x-test-key`, as `sayHello` does. */
function noteContext(ctx: HandlerContext): void {
  const key = ctx.requestHeader.get("x-test-key");
  if (key === null) return;
  const reason = new Promise<unknown>((resolve) => {
    if (ctx.signal.aborted) resolve(ctx.signal.reason);
    ctx.signal.addEventListener("abort", () => resolve(ctx.signal.reason), { once: true });
  });
  seen.set(`${key}/${ctx.requestHeader.get("x-test-server")}`, { ctx: describeContext(ctx), signal: ctx.signal, reason });
}

/** The servers whose "ignore the signal" stream was closed, in order. */
const closedStreams: (string | null)[] = [];

/**
 * An interceptor that copies the request (`{ ...req }`), as interceptors that change a field
 * do; being the outermost and not async, it also throws synchronously (`x-sync-throw`) and
 * returns response headers that fail to copy (`x-bad-headers`) when asked.
 */
const copyRequest: Interceptor = (next) => (req) => {
  if (req.header.has("x-sync-throw")) throw new ConnectError("thrown, not rejected", Code.Aborted);
  if (req.header.has("x-sync-value")) {
    // The response itself, not a promise of it (possible from JavaScript): connect awaits it.
    return {
      stream: false,
      service: req.service,
      method: req.method,
      header: new Headers({ "x-sync": "1" }),
      trailer: new Headers({ "x-sync-trailer": "1" }),
      message: create(HelloResponseSchema, { reply: "answered synchronously" }),
    } as unknown as ReturnType<typeof next>;
  }
  if (req.header.has("x-bad-headers")) {
    return next(req).then((res) => ({
      ...res,
      header: {
        forEach() {
          throw new ConnectError("headers that cannot be copied", Code.DataLoss);
        },
      } as unknown as Headers,
    }));
  }
  return req.header.has("x-copy") ? next({ ...req }) : next(req);
};

interface Pair {
  fastUrl: string;
  connectUrl: string;
  shutdown: { fast: AbortController; connect: AbortController };
  close(): Promise<void>;
}

async function startPair(routesFn: (router: ConnectRouter) => void = routes): Promise<Pair> {
  const servers: http2.Http2Server[] = [];
  const shutdown = { fast: new AbortController(), connect: new AbortController() };
  const urls: string[] = [];
  for (const which of ["fast", "connect"] as const) {
    const options = {
      routes: routesFn,
      interceptors: [copyRequest],
      readMaxBytes: 1024,
      acceptCompression: [compressionGzip, compressionBrotli],
      shutdownSignal: shutdown[which].signal,
    };
    const adapter = connectNodeAdapter({
      ...options,
      contextValues: (req) => createContextValues().set(valueKey, String(req.headers["x-value"])),
    });
    // connect's path as the server runs it: gRPC answers without a message are Trailers-Only.
    const server = http2.createServer((req, res) => {
      if (protocolOf(req) === "grpc") trailersOnlyWhenEmpty(res);
      adapter(req, res);
    });
    if (which === "fast") {
      const fastPath = createFastPath({
        ...options,
        methods: captureFastPathMethods(routesFn),
        contextValues: (headers) => createContextValues().set(valueKey, String(headers["x-value"])),
      });
      routeHttp2Streams(server, fastPath.serve);
    }
    // Seen after routeHttp2Streams: every stream, taken or not.
    server.on("stream", (stream, headers) => {
      if (headers["x-mode"] === "gated") gatedStreams.set(String(headers["x-test-server"]), stream);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    servers.push(server);
  }
  return {
    fastUrl: urls[0]!,
    connectUrl: urls[1]!,
    shutdown,
    close: () => Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(() => undefined),
  };
}

function helloFrame(greeting: string): Buffer {
  return frameOf(toBinary(HelloRequestSchema, create(HelloRequestSchema, { greeting })));
}

function frameOf(message: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

const grpcRequest = (greeting: string, headers: http2.OutgoingHttpHeaders = {}): RawRequest => ({
  path: SAY_HELLO,
  headers: { "content-type": "application/grpc", ...headers },
  body: [helloFrame(greeting)],
});
const webRequest = (greeting: string, headers: http2.OutgoingHttpHeaders = {}): RawRequest =>
  grpcRequest(greeting, { "content-type": "application/grpc-web+proto", ...headers });
const streamRequest = (greeting: string, replyCount = 0): RawRequest => ({
  path: "/hello.v1.HelloService/LotsOfReplies",
  headers: { "content-type": "application/grpc" },
  body: [frameOf(toBinary(HelloRequestSchema, create(HelloRequestSchema, { greeting, replyCount })))],
});
const LOTS_OF_GREETINGS = "/hello.v1.HelloService/LotsOfGreetings";
const BIDI_HELLO = "/hello.v1.HelloService/BidiHello";
/** A client-streaming or bidi request: one frame per greeting, each in its own write. */
const requestStream = (
  path: string,
  greetings: string[],
  headers: http2.OutgoingHttpHeaders = {},
  extra: Partial<RawRequest> = {},
): RawRequest => ({
  path,
  headers: { "content-type": "application/grpc", ...headers },
  body: greetings.map(helloFrame),
  ...extra,
});
const clientStream = (greetings: string[], headers: http2.OutgoingHttpHeaders = {}, extra: Partial<RawRequest> = {}) =>
  requestStream(LOTS_OF_GREETINGS, greetings, headers, extra);
const bidiStream = (greetings: string[], headers: http2.OutgoingHttpHeaders = {}, extra: Partial<RawRequest> = {}) =>
  requestStream(BIDI_HELLO, greetings, headers, extra);
const many = Array.from({ length: 300 }, (_, i) => `message ${i}`);
const compressedFrame = Buffer.concat([Buffer.from([1, 0, 0, 0, 2]), Buffer.from([0x0a, 0x00])]);
const connectRequest = (greeting: string, headers: http2.OutgoingHttpHeaders = {}): RawRequest => ({
  path: SAY_HELLO,
  headers: { "content-type": "application/json", ...headers },
  body: [Buffer.from(JSON.stringify({ greeting }))],
});

let pair: Pair;
const taken: unknown[] = [];
const onTaken = (message: unknown) => taken.push(message);
beforeAll(async () => {
  subscribe(FAST_PATH_CHANNEL, onTaken);
  pair = await startPair();
});
afterAll(async () => {
  unsubscribe(FAST_PATH_CHANNEL, onTaken);
  await pair.close();
});

async function both(request: RawRequest) {
  taken.length = 0;
  const viaFastPath = await rawExchange(pair.fastUrl, { ...request, headers: { ...request.headers, "x-test-server": "fast" } });
  const fastTaken = taken.length;
  const viaConnect = await rawExchange(pair.connectUrl, { ...request, headers: { ...request.headers, "x-test-server": "connect" } });
  return { viaFastPath: normalized(viaFastPath, true), viaConnect: normalized(viaConnect, true), fastTaken };
}

describe("createFastPath", () => {
  const answers: [string, RawRequest][] = [
    ["a reserved response header set by the handler", grpcRequest("reserved header")],
    ["a reserved response trailer set by the handler", grpcRequest("reserved trailer")],
    ["a handler throwing a TypeError (no error boundary)", grpcRequest("throw")],
    ["a handler throwing undefined", grpcRequest("throw undefined")],
    ["repeated response headers and set-cookie", grpcRequest("cookies")],
    ["a message over readMaxBytes (1 KiB here)", grpcRequest("x".repeat(2000))],
    ["an interceptor that copies the request", grpcRequest("copy", { "x-copy": "1", "x-value": "v" })],
    ["an interceptor that throws instead of rejecting", grpcRequest("hi", { "x-sync-throw": "1" })],
    ["response headers that fail to copy", grpcRequest("hi", { "x-bad-headers": "1" })],
    ["an interceptor that returns the response instead of a promise", grpcRequest("hi", { "x-sync-value": "1" })],
    ["Connect: an interceptor that returns the response instead of a promise", connectRequest("hi", { "x-sync-value": "1" })],
    ["Connect: an interceptor that throws instead of rejecting", connectRequest("hi", { "x-sync-throw": "1" })],
    ["Connect: response headers that fail to copy", connectRequest("hi", { "x-bad-headers": "1" })],
    ["gRPC-Web: a reserved response header set by the handler", webRequest("reserved header")],
    ["gRPC-Web: a reserved response trailer set by the handler", webRequest("reserved trailer")],
    ["gRPC-Web: a handler throwing a TypeError (no error boundary)", webRequest("throw")],
    ["gRPC-Web: a handler throwing undefined", webRequest("throw undefined")],
    ["gRPC-Web: repeated response headers and set-cookie", webRequest("cookies")],
    ["gRPC-Web: a message over readMaxBytes (1 KiB here)", webRequest("x".repeat(2000))],
    ["gRPC-Web: an interceptor that copies the request", webRequest("copy", { "x-copy": "1", "x-value": "v" })],
    ["Connect: a reserved response header", connectRequest("reserved header")],
    ["Connect: a handler throwing a TypeError", connectRequest("throw")],
    ["Connect: a handler throwing undefined", connectRequest("throw undefined")],
    ["Connect: repeated response headers and set-cookie", connectRequest("cookies")],
    ["Connect: a body over readMaxBytes", connectRequest("x".repeat(2000))],
    ["Connect: a content-length over readMaxBytes", connectRequest("hi", { "content-length": "2000" })],
    ["server stream: 5 replies", streamRequest("count", 5)],
    ["server stream: a handler throwing a TypeError after two replies", streamRequest("throw after two")],
    ["server stream: a reserved trailer set after a reply", streamRequest("reserved trailer")],
    ["server stream: a header set after the first reply (too late)", streamRequest("header after first")],
    ["client stream: 3 messages", clientStream(["a", "b", "c"])],
    ["client stream: 300 messages", clientStream(many)],
    ["client stream: 300 messages in one write", clientStream([], {}, { body: [Buffer.concat(many.map(helloFrame))] })],
    ["client stream: no message", clientStream([])],
    ["client stream: a handler throwing before reading", clientStream(["a", "b"], { "x-mode": "throw before reading" })],
    ["client stream: a handler throwing after reading", clientStream(["a", "b"], { "x-mode": "throw after reading" })],
    ["client stream: a message over readMaxBytes after one", clientStream(["a", "x".repeat(2000), "c"])],
    ["client stream: a compressed envelope", clientStream(["a"], {}, { body: [helloFrame("a"), compressedFrame] })],
    ["client stream: a truncated envelope", clientStream(["a"], {}, { body: [helloFrame("a"), helloFrame("b").subarray(0, 4)] })],
    ["client stream: a message that does not parse", clientStream([], {}, { body: [helloFrame("a"), frameOf(Buffer.from([0xff]))] })],
    [
      "client stream: an answer while the client still sends",
      clientStream(["a", "b"], { "x-mode": "answer after one" }, { keepOpen: true }),
    ],
    ["client stream: an interceptor that copies the request", clientStream(["a", "b"], { "x-copy": "1", "x-value": "v" })],
    ["bidi: 3 messages", bidiStream(["a", "b", "c"])],
    ["bidi: 300 messages", bidiStream(many)],
    ["bidi: no message", bidiStream([])],
    ["bidi: a handler throwing before reading", bidiStream(["a"], { "x-mode": "throw before reading" })],
    ["bidi: a handler throwing after one reply", bidiStream(["a", "b"], { "x-mode": "throw after one" })],
    ["bidi: a message over readMaxBytes after one", bidiStream(["a", "x".repeat(2000), "c"])],
    ["bidi: a compressed envelope", bidiStream(["a"], {}, { body: [helloFrame("a"), compressedFrame] })],
    ["bidi: a truncated envelope", bidiStream(["a"], {}, { body: [helloFrame("a"), helloFrame("b").subarray(0, 4)] })],
    ["bidi: a reply before reading, the request still open", bidiStream(["a"], { "x-mode": "answer first" }, { keepOpen: true })],
    ["bidi: the response ended while the client still sends", bidiStream(["a", "b"], { "x-mode": "end after one" }, { keepOpen: true })],
    ["bidi: an interceptor that copies the request", bidiStream(["a", "b"], { "x-copy": "1", "x-value": "v" })],
    ["bidi: compressed replies (gzip negotiated)", bidiStream(["a".repeat(900)], { "grpc-accept-encoding": "gzip" })],
  ];
  it.each(answers)("answers like connect: %s", async (_, request) => {
    const { viaFastPath, viaConnect, fastTaken } = await both(request);
    expect(viaFastPath).toEqual(viaConnect);
    expect(fastTaken).toBe(1);
  });

  it.each([
    ["gRPC", grpcRequest],
    ["gRPC-Web", webRequest],
    ["Connect", connectRequest],
  ] as const)("gives the handler the context connect gives it (%s)", async (_, make) => {
    for (const extra of [{}, { "x-copy": "1" }]) {
      const key = `ctx-${_}-${Object.keys(extra).length}`;
      const timeout = make === connectRequest ? { "connect-timeout-ms": "30000" } : { "grpc-timeout": "30S" };
      const { viaFastPath, viaConnect } = await both(
        make("context", { ...extra, ...timeout, "x-test-key": key, "x-value": "v1", "x-echo": "e" }),
      );
      expect(viaFastPath).toEqual(viaConnect);
      const fast = seen.get(`${key}/fast`);
      const slow = seen.get(`${key}/connect`);
      // The URLs name different ports; everything else is the same.
      expect({ ...fast?.ctx, url: String(fast?.ctx.url).replace(/:\d+\//, ":PORT/") }).toEqual({
        ...slow?.ctx,
        url: String(slow?.ctx.url).replace(/:\d+\//, ":PORT/"),
      });
      expect(fast?.ctx).toMatchObject({ hasTimeout: true, timeoutSane: true, value: "v1", signalAborted: false });
      // Both abort the signal once the call is over, with an AbortError.
      const reasons = await Promise.all([fast?.reason, slow?.reason]);
      expect(reasons.map((r) => (r as Error).name)).toEqual(["AbortError", "AbortError"]);
    }
  });

  it("aborts the handler's signal like connect when the deadline passes", async () => {
    const { viaFastPath, viaConnect } = await both(grpcRequest("wait for abort", { "grpc-timeout": "50m" }));
    expect(viaFastPath).toEqual(viaConnect);
    // No message went out: Trailers-Only, the status in the one HEADERS frame.
    expect(viaFastPath.headers["grpc-status"]).toBe(String(Code.DeadlineExceeded));
    expect(viaFastPath.trailers).toEqual({});
  });

  it.each(["application/grpc", "application/grpc-web+proto"])(
    "aborts the handler's signal like connect when the client cancels (%s)",
    async (contentType) => {
      const reasons: unknown[] = [];
      taken.length = 0;
      for (const url of [pair.fastUrl, pair.connectUrl]) {
        const server = url === pair.fastUrl ? "fast" : "connect";
        const key = `cancel ${contentType}`;
        const session = http2.connect(url);
        const req = session.request({
          ":method": "POST",
          ":path": SAY_HELLO,
          "content-type": contentType,
          "x-test-key": key,
          "x-test-server": server,
        });
        req.end(helloFrame("wait for abort"));
        req.on("error", () => {});
        await waitFor(() => seen.has(`${key}/${server}`));
        req.close(http2.constants.NGHTTP2_CANCEL);
        const reason = await seen.get(`${key}/${server}`)?.reason;
        reasons.push({ code: (reason as ConnectError).code, message: (reason as ConnectError).rawMessage });
        session.destroy();
      }
      expect(reasons[0]).toEqual(reasons[1]);
      expect(reasons[0]).toEqual({ code: Code.Canceled, message: "http/2 stream closed with error code CANCEL (0x8)" });
      expect(taken).toHaveLength(1);
    },
  );

  it.each([
    ["client stream", LOTS_OF_GREETINGS],
    ["bidi", BIDI_HELLO],
  ])("gives a %s handler the context connect gives it", async (_, path) => {
    const key = `ctx-${path}`;
    const { viaFastPath, viaConnect, fastTaken } = await both(
      requestStream(path, ["a"], { "grpc-timeout": "30S", "x-test-key": key, "x-value": "v1", "x-echo": "e" }),
    );
    expect(viaFastPath).toEqual(viaConnect);
    expect(fastTaken).toBe(1);
    const fast = seen.get(`${key}/fast`);
    const slow = seen.get(`${key}/connect`);
    expect({ ...fast?.ctx, url: String(fast?.ctx.url).replace(/:\d+\//, ":PORT/") }).toEqual({
      ...slow?.ctx,
      url: String(slow?.ctx.url).replace(/:\d+\//, ":PORT/"),
    });
    expect(fast?.ctx).toMatchObject({ hasTimeout: true, timeoutSane: true, value: "v1", signalAborted: false });
    const reasons = await Promise.all([fast?.reason, slow?.reason]);
    expect(reasons.map((r) => (r as Error).name)).toEqual(["AbortError", "AbortError"]);
  });

  it.each([
    ["client stream", LOTS_OF_GREETINGS],
    ["bidi", BIDI_HELLO],
  ])("aborts a %s handler's signal like connect when the deadline passes, the request still open", async (_, path) => {
    const { viaFastPath, viaConnect, fastTaken } = await both(
      requestStream(path, ["a"], { "grpc-timeout": "50m", "x-mode": "wait for abort" }, { keepOpen: true }),
    );
    expect(viaFastPath).toEqual(viaConnect);
    expect(fastTaken).toBe(1);
    expect({ ...viaFastPath.headers, ...viaFastPath.trailers }["grpc-status"]).toBe(String(Code.DeadlineExceeded));
  });

  it.each([
    ["client stream", LOTS_OF_GREETINGS],
    ["bidi", BIDI_HELLO],
  ])("aborts a %s handler's signal like connect when the client cancels mid-stream", async (_, path) => {
    const reasons: unknown[] = [];
    taken.length = 0;
    for (const url of [pair.fastUrl, pair.connectUrl]) {
      const server = url === pair.fastUrl ? "fast" : "connect";
      const key = `cancel ${path}`;
      const session = http2.connect(url);
      const req = session.request({
        ":method": "POST",
        ":path": path,
        "content-type": "application/grpc",
        "x-mode": "wait for abort",
        "x-test-key": key,
        "x-test-server": server,
      });
      req.write(helloFrame("a"));
      req.on("error", () => {});
      await waitFor(() => seen.has(`${key}/${server}`));
      req.close(http2.constants.NGHTTP2_CANCEL);
      const reason = await seen.get(`${key}/${server}`)?.reason;
      reasons.push({ code: (reason as ConnectError).code, message: (reason as ConnectError).rawMessage });
      session.destroy();
    }
    expect(reasons[0]).toEqual(reasons[1]);
    expect(reasons[0]).toEqual({ code: Code.Canceled, message: "http/2 stream closed with error code CANCEL (0x8)" });
    expect(taken).toHaveLength(1);
  });

  it("answers each bidi message before the next is sent (full duplex), like connect", async () => {
    taken.length = 0;
    const transcripts: string[][] = [];
    for (const url of [pair.fastUrl, pair.connectUrl]) {
      const session = http2.connect(url);
      const req = session.request({ ":method": "POST", ":path": BIDI_HELLO, "content-type": "application/grpc" });
      const transcript: string[] = [];
      let pending = Buffer.alloc(0);
      let replies = 0;
      req.on("response", (headers) => transcript.push(`headers ${headers[":status"]} ${headers["content-type"]}`));
      req.on("data", (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
          const length = pending.readUInt32BE(1);
          transcript.push(fromBinary(HelloResponseSchema, pending.subarray(5, 5 + length)).reply);
          pending = pending.subarray(5 + length);
          replies++;
        }
      });
      const trailers = new Promise<void>((resolve) =>
        req.on("trailers", (t) => (transcript.push(`grpc-status ${t["grpc-status"]}`), resolve())),
      );
      // Each message goes out only once the previous one was answered.
      for (let i = 0; i < 5; i++) {
        req.write(helloFrame(`ping ${i}`));
        await waitFor(() => replies === i + 1);
      }
      req.end();
      await trailers;
      transcripts.push(transcript);
      session.destroy();
    }
    expect(transcripts[0]).toEqual(transcripts[1]);
    expect(transcripts[0]).toEqual([
      "headers 200 application/grpc+proto",
      ...Array.from({ length: 5 }, (_, i) => `echo ping ${i}`),
      "grpc-status 0",
    ]);
    expect(taken).toHaveLength(1);
  });

  it("holds back a client stream its handler does not read (flow control), then delivers every message", async () => {
    taken.length = 0;
    // 2,000 messages of ~1,000 bytes: far more than the stream's flow-control window.
    const greeting = "g".repeat(990);
    const total = 2_000;
    const stalled: boolean[] = [];
    const replies: string[] = [];
    for (const url of [pair.fastUrl, pair.connectUrl]) {
      const server = url === pair.fastUrl ? "fast" : "connect";
      const session = http2.connect(url);
      const req = session.request({
        ":method": "POST",
        ":path": LOTS_OF_GREETINGS,
        "content-type": "application/grpc",
        "x-mode": "gated",
        "x-test-server": server,
      });
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString("latin1")));
      const ended = new Promise<void>((resolve) => req.on("end", resolve));
      const frame = helloFrame(greeting);
      for (let i = 0; i < total; i++) req.write(frame);
      req.end();
      await waitFor(() => gates.has(server));
      // The handler reads nothing: the server must stop granting window, so the client
      // holds most of its request (a server that buffered it all would let it all go).
      // The handler reads nothing: the server must stop taking the request, its stream's
      // flow-control window closes and the client keeps most of its request.
      await waitFor(() => gatedStreams.get(server)?.state.localWindowSize === 0);
      stalled.push(req.writableLength > frame.length * (total / 2));
      gates.get(server)?.(undefined);
      gates.delete(server);
      await ended;
      replies.push(body.slice(body.indexOf("2000")));
      session.destroy();
    }
    expect(stalled).toEqual([true, true]);
    expect(replies).toEqual([`2000 greetings, ${990 * total} characters`, `2000 greetings, ${990 * total} characters`]);
    expect(taken).toHaveLength(1);
  });

  it("drops a connection header a handler set on a server stream, as Node's compatibility API does for connect", async () => {
    closedStreams.length = 0;
    const { viaFastPath, viaConnect, fastTaken } = await both(streamRequest("connection header"));
    expect(viaFastPath).toEqual(viaConnect);
    expect(fastTaken).toBe(1);
    expect(viaFastPath.trailers["grpc-status"]).toBe("0");
    await waitFor(() => closedStreams.length === 2);
    expect(closedStreams.sort()).toEqual(["connect: connection header", "fast: connection header"]);
  });

  // Two answers connect cannot give: the client of connect's adapter waits forever (its
  // writeHead / setTrailerStatus throws and the stream is left open). The fast path resets
  // the stream (INTERNAL_ERROR), closes the handler's stream, and goes on serving.
  const fastOnly = (request: RawRequest) =>
    rawExchange(pair.fastUrl, { ...request, headers: { ...request.headers, "x-test-server": "fast" } });

  it("resets a server stream whose headers Node refuses (keep-alive) and closes the handler's stream", async () => {
    closedStreams.length = 0;
    const res = await fastOnly(streamRequest("keep-alive header"));
    expect(res.outcome).toBe("stream error ERR_HTTP2_STREAM_ERROR");
    await waitFor(() => closedStreams.includes("fast: keep-alive header"));
    expect((await fastOnly(streamRequest("count", 2))).trailers["grpc-status"]).toBe("0");
  });

  it.each([
    ["gRPC", grpcRequest],
    ["gRPC-Web", webRequest],
  ] as const)(
    "resets a call whose error message cannot be put in grpc-message (a lone surrogate) instead of crashing (%s)",
    async (_, make) => {
      const res = await fastOnly(make("lone surrogate"));
      expect(res.outcome).toBe("stream error ERR_HTTP2_STREAM_ERROR");
      // The server still answers, in the same protocol.
      const after = await fastOnly(make("after"));
      expect({ status: after.status, outcome: after.outcome }).toEqual({ status: 200, outcome: "end" });
      expect(after.body.length).toBeGreaterThan(0);
    },
  );

  it("closes a server stream whose handler ignores its signal when the client cancels, like connect", async () => {
    closedStreams.length = 0;
    for (const url of [pair.fastUrl, pair.connectUrl]) {
      const server = url === pair.fastUrl ? "fast" : "connect";
      const session = http2.connect(url);
      const { headers, body } = streamRequest("ignore the signal");
      const req = session.request({
        ":method": "POST",
        ":path": "/hello.v1.HelloService/LotsOfReplies",
        ...headers,
        "x-test-server": server,
      });
      req.end(body[0]);
      req.on("error", () => {});
      // Let a few replies arrive, then reset the stream.
      let bytes = 0;
      req.on("data", (chunk: Buffer) => (bytes += chunk.length));
      await waitFor(() => bytes > 30);
      req.close(http2.constants.NGHTTP2_CANCEL);
      await waitFor(() => closedStreams.includes(server));
      session.destroy();
    }
    expect(closedStreams).toEqual(["fast", "connect"]);
  });

  it("aborts calls in flight with the shutdown signal's reason", async () => {
    const results = await Promise.all(
      (["fast", "connect"] as const).map(async (server) => {
        const url = server === "fast" ? pair.fastUrl : pair.connectUrl;
        const exchange = rawExchange(url, grpcRequest("wait for abort", { "x-test-key": "shutdown", "x-test-server": server }));
        await waitFor(() => seen.has(`shutdown/${server}`));
        pair.shutdown[server].abort(new ConnectError("going away", Code.Unavailable));
        return normalized(await exchange, true);
      }),
    );
    expect(results[0]).toEqual(results[1]);
    expect(results[0]?.headers["grpc-message"]).toBe("going%20away");
    expect(results[0]?.trailers).toEqual({});
    pair.shutdown = { fast: new AbortController(), connect: new AbortController() };
  });

  it("leaves methods registered with options, and streams it declines, to connect", async () => {
    taken.length = 0;
    const optionsPair = await startPair((router) => {
      router.rpc(HelloService.method.sayHello, () => ({ reply: "with options" }), { readMaxBytes: 100 });
    });
    try {
      const res = await rawExchange(optionsPair.fastUrl, grpcRequest("hi"));
      expect(res.trailers["grpc-status"]).toBe("0");
      expect(taken).toEqual([]);
    } finally {
      await optionsPair.close();
    }
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!condition()) throw new Error("timed out waiting");
}
