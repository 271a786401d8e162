/**
 * Hostile and faulty input on a real server (127.0.0.1, port 0), sent with a hand-rolled
 * HTTP/2 client where no library would send it (test-support/raw-http2-frames.ts): rapid
 * reset, slow and idle connections, a connection cap, clients that drop their connection
 * mid-call, corrupt compressed bodies — and the cases that were already handled well
 * (CONTINUATION, SETTINGS and PING floods, an HPACK bomb, a gzip bomb, bad framing, bad
 * JSON), so that they stay so. Every case ends with a normal call the server must answer.
 *
 * Nothing here asserts on timings beyond generous upper bounds: on a busy machine only
 * the outcome (a GOAWAY code, a closed socket, a status, a log line or its absence) counts.
 */
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { pino } from "pino";
import { CALL_LOG_MESSAGE } from "./observability/call-log.js";
import type { HelloServer, HelloServerOptions } from "./server.js";
import { parsePrometheusText, sumOf } from "./test-support/prometheus-text.js";
import { grpcFrame, grpcStatusOf, helloRequestBytes, rawHttp2Request } from "./test-support/raw-grpc.js";
import {
  connectRawHttp2,
  frame,
  FrameFlag,
  FrameType,
  grpcRequestHeaders,
  H2Error,
  headerBlock,
  pingFrame,
  type RawHttp2Connection,
  rstStreamFrame,
  settingsFrame,
} from "./test-support/raw-http2-frames.js";
import { startTestServer } from "./test-support/start-test-server.js";

const SERVICE = "/hello.v1.HelloService";

/** A server with its call-log lines and the calls that reached the interceptors, by method name. */
interface Harness {
  server: HelloServer;
  callLines: () => Record<string, unknown>[];
  invoked: Map<string, number>;
  /** Each method's last call whose signal aborted: the code of the reason it aborted with. */
  abortedWith: Map<string, Code>;
}

const servers: HelloServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close(0)));
});

async function start(options: HelloServerOptions = {}): Promise<Harness> {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const invoked = new Map<string, number>();
  const abortedWith = new Map<string, Code>();
  const countCalls: Interceptor = (next) => (req) => {
    invoked.set(req.method.name, (invoked.get(req.method.name) ?? 0) + 1);
    req.signal.addEventListener("abort", () => abortedWith.set(req.method.name, ConnectError.from(req.signal.reason).code));
    return next(req);
  };
  const { server } = await startTestServer({ logger, interceptors: [countCalls], ...options });
  servers.push(server);
  return { server, invoked, abortedWith, callLines: () => lines.filter((l) => l["msg"] === CALL_LOG_MESSAGE) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A unary gRPC SayHello over HTTP/2 must still be answered with OK. */
async function expectServing(server: HelloServer): Promise<void> {
  const res = await rawHttp2Request(
    server.url,
    `${SERVICE}/SayHello`,
    { "content-type": "application/grpc", te: "trailers" },
    grpcFrame(helloRequestBytes("still there?")),
  );
  expect(grpcStatusOf(res).code).toBe(0);
}

/** HEADERS then RST_STREAM(CANCEL) for `count` new streams from `firstId`, as one buffer. */
function rapidResets(path: string, count: number, firstId = 1): Buffer {
  const block = headerBlock(grpcRequestHeaders(path));
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const id = firstId + 2 * i;
    parts.push(frame(FrameType.HEADERS, FrameFlag.END_HEADERS, id, block), rstStreamFrame(id, H2Error.CANCEL));
  }
  return Buffer.concat(parts);
}

/** Sends a PING and waits for its ACK: every frame sent before it has been parsed by then. */
async function roundTrip(connection: RawHttp2Connection, tag: number): Promise<boolean> {
  const data = Buffer.alloc(8);
  data.writeUInt32BE(tag, 4);
  await connection.write(pingFrame(data));
  const ack = await connection.waitFor(
    (f) => f.type === FrameType.PING && (f.flags & FrameFlag.ACK) !== 0 && f.payload.equals(data),
    10_000,
  );
  return ack !== undefined;
}

/** Waits for the socket to close; true if it did within `timeoutMs`. */
async function closesWithin(socket: net.Socket, timeoutMs: number): Promise<boolean> {
  if (socket.destroyed) return true;
  return Promise.race([new Promise<boolean>((resolve) => socket.once("close", () => resolve(true))), sleep(timeoutMs).then(() => false)]);
}

async function rawSocket(port: number): Promise<net.Socket> {
  const socket = net.connect({ port, host: "127.0.0.1" });
  socket.on("error", () => {});
  await new Promise((resolve) => socket.once("connect", resolve));
  return socket;
}

describe("HTTP/2 rapid reset (HEADERS + RST_STREAM, CVE-2023-44487)", () => {
  describe.each([
    ["BidiHello", true],
    ["LotsOfReplies", true],
    ["BidiHello", false],
    ["LotsOfReplies", false],
  ])("on %s, fast path %s", (method, fastPath) => {
    it("runs no handler and writes no call-log line for streams reset as they arrive", async () => {
      // A budget the flood stays under: only the dropping of reset streams is at work.
      const { server, invoked, callLines } = await start({ fastPath, limits: { maxStreamResets: 1_000_000 } });
      const connection = await connectRawHttp2(server.port);
      await connection.write(rapidResets(`${SERVICE}/${method}`, 300));
      expect(await roundTrip(connection, 1)).toBe(true);
      await sleep(50); // a turn of the event loop for streams waiting to be handed on
      await expectServing(server);
      expect(connection.goawayCode()).toBeUndefined();
      expect(invoked.get(method)).toBeUndefined();
      expect(callLines().filter((l) => l["method"] === method)).toEqual([]);
      connection.close();
    });

    it("closes a connection that keeps resetting streams with GOAWAY ENHANCE_YOUR_CALM", async () => {
      const { server, callLines } = await start({ fastPath });
      const connection = await connectRawHttp2(server.port);
      // 600 resets in one write: over the default budget (200 a second), under Node's own (1,000).
      await connection.write(rapidResets(`${SERVICE}/${method}`, 600));
      const goaway = await connection.waitFor((f) => f.type === FrameType.GOAWAY, 10_000);
      expect(goaway?.payload.readUInt32BE(4)).toBe(H2Error.ENHANCE_YOUR_CALM);
      expect(await closesWithin(connection.socket, 10_000)).toBe(true);
      await expectServing(server);
      expect(callLines().filter((l) => l["method"] === method)).toEqual([]);
    });
  });

  it("counts streams reset after their handler started against the budget too", async () => {
    const { server, invoked } = await start({ limits: { maxStreamResets: 5, streamResetWindowMs: 60_000 } });
    const connection = await connectRawHttp2(server.port);
    const block = headerBlock(grpcRequestHeaders(`${SERVICE}/BidiHello`));
    for (let i = 0; i < 10 && connection.goawayCode() === undefined; i++) {
      const id = 1 + 2 * i;
      await connection.write(frame(FrameType.HEADERS, FrameFlag.END_HEADERS, id, block));
      await until(() => (invoked.get("BidiHello") ?? 0) > i, "the handler to start");
      await connection.write(rstStreamFrame(id, H2Error.CANCEL));
      await roundTrip(connection, id);
    }
    await connection.waitFor((f) => f.type === FrameType.GOAWAY, 10_000);
    expect(connection.goawayCode()).toBe(H2Error.ENHANCE_YOUR_CALM);
    expect(invoked.get("BidiHello")).toBe(6);
    await expectServing(server);
  });

  it("keeps a connection that resets fewer streams than its budget", async () => {
    const { server } = await start();
    const connection = await connectRawHttp2(server.port);
    await connection.write(rapidResets(`${SERVICE}/BidiHello`, 150));
    expect(await roundTrip(connection, 7)).toBe(true);
    await sleep(50);
    expect(connection.goawayCode()).toBeUndefined();
    expect(connection.socket.destroyed).toBe(false);
    connection.close();
  });
});

/**
 * Waits for `method`'s call-log line, expects exactly one, with code Canceled, and the call
 * counted once as Canceled in the metrics; returns the metric samples.
 */
async function expectOneCanceledCall(server: HelloServer, callLines: Harness["callLines"], method: string) {
  await until(() => callLines().some((l) => l["method"] === method), "the call-log line");
  expect(
    callLines()
      .filter((l) => l["method"] === method)
      .map((l) => l["code"]),
  ).toEqual(["Canceled"]);
  const samples = parsePrometheusText(await (await fetch(`${server.url}/metrics`)).text());
  expect(sumOf(samples, "grpc_server_handled_total", { grpc_method: method, grpc_code: "Canceled" })).toBe(1);
  return samples;
}

describe("a client that cancels a call with RST_STREAM(CANCEL) before its request ended", () => {
  it.each(
    (["LotsOfReplies", "LotsOfGreetings", "BidiHello"] as const).flatMap((method) =>
      [true, false].map((fastPath) => [method, fastPath] as const),
    ),
  )("%s (fast path %s) is logged and counted as Canceled", async (method, fastPath) => {
    const { server, invoked, callLines } = await start({ fastPath });
    const connection = await connectRawHttp2(server.port);
    // Headers without END_STREAM and no message: the request is still open when the reset comes.
    await connection.write(frame(FrameType.HEADERS, FrameFlag.END_HEADERS, 1, headerBlock(grpcRequestHeaders(`${SERVICE}/${method}`))));
    await until(() => invoked.get(method) === 1, "the call to start");
    await sleep(50);
    await connection.write(rstStreamFrame(1, H2Error.CANCEL));
    await expectOneCanceledCall(server, callLines, method);
    await expectServing(server);
    connection.close();
  });
});

describe("slow and idle connections", () => {
  it.each([
    ["sends only the start of the HTTP/2 preface", ["PO"]],
    [
      "trickles the headers of its first HTTP/1.1 request",
      ["POST /hello.v1.HelloService/SayHello HTTP/1.1\r\n", "Host: x\r\n", "X-1: a\r\n", "X-2: a\r\n", "X-3: a\r\n"],
    ],
    ["sends nothing", []],
  ])("closes a connection that %s, at the first-request timeout", async (_what, parts) => {
    const { server } = await start({ limits: { firstRequestTimeoutMs: 300 } });
    const socket = await rawSocket(server.port);
    const trickle = (async () => {
      for (const part of parts) {
        if (socket.destroyed) return;
        socket.write(part);
        await sleep(150);
      }
    })();
    expect(await closesWithin(socket, 10_000)).toBe(true);
    await trickle;
    await expectServing(server);
  });

  it("closes an HTTP/1.1 connection that trickles its next request, at the idle timeout", async () => {
    const { server } = await start({ limits: { firstRequestTimeoutMs: 60_000, idleTimeoutMs: 400 } });
    const socket = await rawSocket(server.port);
    const response = new Promise<string>((resolve) => {
      let text = "";
      socket.on("data", (c: Buffer) => {
        text += c.toString("latin1");
        if (text.includes("\r\n\r\n")) resolve(text);
      });
    });
    socket.write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(await response).toMatch(/^HTTP\/1\.1 200/);
    // The next request, a header line every 100 ms: never idle by socket activity.
    let stop = false;
    const trickle = (async () => {
      for (let i = 0; !stop && !socket.destroyed; i++) {
        socket.write(i === 0 ? "GET /metrics HTTP/1.1\r\n" : `X-${i}: a\r\n`);
        await sleep(100);
      }
    })();
    const closed = await closesWithin(socket, 10_000);
    stop = true;
    await trickle;
    expect(closed).toBe(true);
  });

  it("makes room for a new connection at the cap by closing the oldest one that has not sent a request", async () => {
    const { server } = await start({ limits: { maxConnections: 3, firstRequestTimeoutMs: 60_000 } });
    const idle = [await rawSocket(server.port), await rawSocket(server.port), await rawSocket(server.port)];
    await sleep(50);
    await expectServing(server);
    expect(await closesWithin(idle[0] as net.Socket, 5_000)).toBe(true);
    expect(idle[1]?.destroyed).toBe(false);
    for (const socket of idle) socket.destroy();
  });

  it("closes a new connection at the cap when every connection has a call in flight", async () => {
    const { server } = await start({ limits: { maxConnections: 2 } });
    // Two HTTP/1.1 connections, each in the middle of a client stream.
    const uploads = [0, 1].map(() => {
      const req = http.request({
        host: "127.0.0.1",
        port: server.port,
        method: "POST",
        path: `${SERVICE}/LotsOfGreetings`,
        headers: { "content-type": "application/grpc-web+proto" },
        agent: false,
      });
      req.on("error", () => {});
      req.write(grpcFrame(helloRequestBytes("a")));
      return req;
    });
    await sleep(300);
    const third = await rawSocket(server.port);
    expect(await closesWithin(third, 5_000)).toBe(true);
    for (const req of uploads) req.destroy();
  });
});

describe("a client that drops its connection mid-call", () => {
  /** Starts a call; resolves with a function that drops its connection (with a TCP RST, or FIN). */
  type OpenCall = (port: number, url: string) => Promise<(reset: boolean) => void>;
  const cases: [string, string, OpenCall][] = [
    [
      "BidiHello over gRPC, HTTP/2 (connect's path)",
      "BidiHello",
      async (port, url) => {
        const socket = net.connect({ port, host: "127.0.0.1" });
        socket.on("error", () => {});
        const session = http2.connect(url, { createConnection: () => socket });
        session.on("error", () => {});
        const req = session.request({
          ":method": "POST",
          ":path": `${SERVICE}/BidiHello`,
          "content-type": "application/grpc",
          te: "trailers",
        });
        req.on("error", () => {});
        req.write(grpcFrame(helloRequestBytes("a")));
        return (reset) => (reset ? socket.resetAndDestroy() : socket.destroy());
      },
    ],
    [
      "LotsOfReplies over gRPC, HTTP/2 (the fast path)",
      "LotsOfReplies",
      async (port, url) => {
        const socket = net.connect({ port, host: "127.0.0.1" });
        socket.on("error", () => {});
        const session = http2.connect(url, { createConnection: () => socket });
        session.on("error", () => {});
        const req = session.request({
          ":method": "POST",
          ":path": `${SERVICE}/LotsOfReplies`,
          "content-type": "application/grpc",
          te: "trailers",
        });
        req.on("error", () => {});
        req.on("data", () => {});
        // greeting "a", reply_count 100, reply_delay 1 s (HelloRequest fields 1, 2 and 3 as a Duration)
        req.end(grpcFrame(Buffer.concat([helloRequestBytes("a"), Buffer.from([0x10, 100, 0x1a, 0x02, 0x08, 0x01])])));
        return (reset) => (reset ? socket.resetAndDestroy() : socket.destroy());
      },
    ],
    ...(["application/grpc-web+proto", "application/connect+proto"] as const).map((contentType): [string, string, OpenCall] => [
      `LotsOfGreetings over ${contentType}, HTTP/1.1`,
      "LotsOfGreetings",
      async (port) => {
        const req = http.request({
          host: "127.0.0.1",
          port,
          method: "POST",
          path: `${SERVICE}/LotsOfGreetings`,
          headers: { "content-type": contentType },
          agent: false,
        });
        req.on("error", () => {});
        req.write(grpcFrame(helloRequestBytes("a")));
        return (reset) => (reset ? req.socket?.resetAndDestroy() : req.socket?.destroy());
      },
    ]),
  ];

  it.each(
    cases.flatMap(([name, method, open]) => [true, false].map((reset) => [name, reset ? "RST" : "FIN", method, open, reset] as const)),
  )("%s, closed with a TCP %s, is logged and counted as Canceled", async (_name, _how, method, open, reset) => {
    const { server, invoked, callLines } = await start();
    const drop = await open(server.port, server.url);
    await until(() => invoked.get(method) === 1, "the call to start");
    await sleep(100);
    drop(reset);
    const samples = await expectOneCanceledCall(server, callLines, method);
    expect(sumOf(samples, "grpc_server_handled_total", { grpc_method: method, grpc_code: "Internal" })).toBe(0);
    expect(sumOf(samples, "grpc_server_handled_total", { grpc_method: method, grpc_code: "Aborted" })).toBe(0);
  });

  // connect-node aborts its handlers' signals with INTERNAL for a dropped HTTP/2 connection
  // and Node's "aborted" on HTTP/1.1 (its own mapping; the log and metrics above correct it).
  // The fast path makes its own signal, and says what happened.
  it.each([true, false])("the fast path aborts its handler's signal with CANCELED (TCP RST: %s)", async (reset) => {
    const { server, invoked, abortedWith } = await start();
    const fastPathCase = cases.find(([name]) => name.includes("the fast path"))!;
    const drop = await fastPathCase[2](server.port, server.url);
    await until(() => invoked.get("LotsOfReplies") === 1, "the call to start");
    drop(reset);
    await until(() => abortedWith.has("LotsOfReplies"), "the handler's signal to abort");
    expect(abortedWith.get("LotsOfReplies")).toBe(Code.Canceled);
  });
});

describe("a corrupt compressed request body", () => {
  // Not a gzip stream at all, a gzip stream cut short (zlib's Z_BUF_ERROR), and not brotli.
  const corrupt: [string, string, Buffer][] = [
    ["gzip", "garbage", Buffer.from("1f8b0800000000000003ffffffff", "hex")],
    ["gzip", "truncated", gzipSync(helloRequestBytes("a")).subarray(0, 12)],
    ["br", "garbage", Buffer.from("ffffffffffffffff", "hex")],
    ["br", "truncated", brotliCompressSync(helloRequestBytes("a".repeat(200))).subarray(0, 6)],
  ];

  describe.each(corrupt)("%s (%s)", (encoding, _kind, body) => {
    it.each([true, false])("answers gRPC over HTTP/2 with INVALID_ARGUMENT (fast path %s)", async (fastPath) => {
      const { server } = await start({ fastPath });
      const res = await rawHttp2Request(
        server.url,
        `${SERVICE}/SayHello`,
        { "content-type": "application/grpc", te: "trailers", "grpc-encoding": encoding },
        grpcFrame(body, true),
      );
      expect(grpcStatusOf(res).code).toBe(3);
    });

    it("answers gRPC-Web over HTTP/1.1 with INVALID_ARGUMENT", async () => {
      const { server } = await start();
      const res = await fetch(`${server.url}${SERVICE}/SayHello`, {
        method: "POST",
        headers: { "content-type": "application/grpc-web+proto", "grpc-encoding": encoding },
        body: new Uint8Array(grpcFrame(body, true)),
      });
      const text = Buffer.from(await res.arrayBuffer()).toString("latin1");
      expect(res.headers.get("grpc-status") ?? /grpc-status:\s*(\d+)/.exec(text)?.[1]).toBe("3");
    });

    it.each(["1.1", "2"])("answers Connect unary over HTTP/%s with 400 invalid_argument", async (version) => {
      const { server } = await start();
      const headers = { "content-type": "application/proto", "content-encoding": encoding };
      let status: number;
      let text: string;
      if (version === "2") {
        const res = await rawHttp2Request(server.url, `${SERVICE}/SayHello`, headers, body);
        status = res.status;
        text = res.body.toString();
      } else {
        const res = await fetch(`${server.url}${SERVICE}/SayHello`, { method: "POST", headers, body: new Uint8Array(body) });
        status = res.status;
        text = await res.text();
      }
      expect(status).toBe(400);
      expect(JSON.parse(text)).toMatchObject({ code: "invalid_argument" });
    });

    it("answers a Connect client stream with invalid_argument", async () => {
      const { server } = await start();
      const res = await fetch(`${server.url}${SERVICE}/LotsOfGreetings`, {
        method: "POST",
        headers: { "content-type": "application/connect+proto", "connect-content-encoding": encoding },
        body: new Uint8Array(Buffer.concat([grpcFrame(body, true), Buffer.from([0x02, 0, 0, 0, 2]), Buffer.from("{}")])),
      });
      const frames = Buffer.from(await res.arrayBuffer());
      // The end-of-stream message (flag 0x02) carries the error.
      const endOfStream = frames.subarray(5).toString();
      expect(JSON.parse(endOfStream)).toMatchObject({ error: { code: "invalid_argument" } });
    });
  });

  it("keeps a message over the limit once decompressed RESOURCE_EXHAUSTED (a gzip bomb)", async () => {
    const { server } = await start({ readMaxBytes: 64 * 1024 });
    const bomb = gzipSync(Buffer.concat([Buffer.from([0x0a, 0x80, 0x80, 0x40]), Buffer.alloc(1024 * 1024, 0x61)]));
    const res = await rawHttp2Request(
      server.url,
      `${SERVICE}/SayHello`,
      { "content-type": "application/grpc", te: "trailers", "grpc-encoding": "gzip" },
      grpcFrame(bomb, true),
    );
    expect(grpcStatusOf(res).code).toBe(8);
    await expectServing(server);
  });
});

describe("input that was already handled well", () => {
  it("closes a connection that floods CONTINUATION frames", async () => {
    const { server } = await start();
    const connection = await connectRawHttp2(server.port);
    const block = headerBlock(grpcRequestHeaders(`${SERVICE}/SayHello`));
    await connection.write(frame(FrameType.HEADERS, 0, 1, block));
    const continuation = frame(FrameType.CONTINUATION, 0, 1, headerBlock([["x-filler", "a".repeat(1000)]]));
    for (let i = 0; i < 200 && !connection.socket.destroyed; i++) await connection.write(continuation);
    expect(await closesWithin(connection.socket, 10_000)).toBe(true);
    await expectServing(server);
  });

  it.each([
    ["SETTINGS", () => settingsFrame([[0x3, 100]])],
    ["PING", () => pingFrame()],
  ])("survives a %s flood and stays responsive", async (_name, make) => {
    const { server } = await start();
    const connection = await connectRawHttp2(server.port);
    // Never reading the acknowledgements: the server's outstanding queue fills up.
    connection.socket.pause();
    const flood = Buffer.concat(Array.from({ length: 20_000 }, make));
    await Promise.race([connection.write(flood), sleep(5_000)]);
    await expectServing(server);
    connection.close();
  });

  it("refuses an HPACK bomb (headers over the size limit) and stays responsive", async () => {
    const { server } = await start();
    const connection = await connectRawHttp2(server.port);
    const block = headerBlock([
      ...grpcRequestHeaders(`${SERVICE}/SayHello`),
      ...Array.from({ length: 50 }, (_, i): [string, string] => [`x-big-${i}`, "a".repeat(4000)]),
    ]);
    await connection.write(frame(FrameType.HEADERS, FrameFlag.END_HEADERS | FrameFlag.END_STREAM, 1, block));
    const answer = await connection.waitFor(
      (f) => f.type === FrameType.RST_STREAM || f.type === FrameType.GOAWAY || (f.type === FrameType.HEADERS && f.streamId === 1),
      10_000,
    );
    // The stream is refused or the connection closed; never served.
    expect(answer === undefined ? "closed" : answer.type).not.toBe(FrameType.HEADERS);
    connection.close();
    await expectServing(server);
  });

  it("closes a connection that sends malformed frames with GOAWAY PROTOCOL_ERROR", async () => {
    const { server } = await start();
    const connection = await connectRawHttp2(server.port);
    // DATA on stream 0 (RFC 9113, section 6.1: a connection error of type PROTOCOL_ERROR).
    await connection.write(frame(FrameType.DATA, 0, 0, Buffer.from("x")));
    const goaway = await connection.waitFor((f) => f.type === FrameType.GOAWAY, 10_000);
    expect(goaway?.payload.readUInt32BE(4)).toBe(H2Error.PROTOCOL_ERROR);
    await expectServing(server);
  });

  it("answers a gRPC message frame that claims more bytes than it has with an error status", async () => {
    const { server } = await start();
    const truncated = Buffer.concat([Buffer.from([0, 0, 0, 0, 50]), helloRequestBytes("a")]);
    const res = await rawHttp2Request(server.url, `${SERVICE}/SayHello`, { "content-type": "application/grpc", te: "trailers" }, truncated);
    expect(grpcStatusOf(res).code).not.toBe(0);
    await expectServing(server);
  });

  it.each(["1.1", "2"])("answers bad JSON over Connect (HTTP/%s) with 400 invalid_argument", async (version) => {
    const { server } = await start();
    const headers = { "content-type": "application/json" };
    const body = Buffer.from('{"greeting": "a"');
    let status: number;
    let text: string;
    if (version === "2") {
      const res = await rawHttp2Request(server.url, `${SERVICE}/SayHello`, headers, body);
      status = res.status;
      text = res.body.toString();
    } else {
      const res = await fetch(`${server.url}${SERVICE}/SayHello`, { method: "POST", headers, body: new Uint8Array(body) });
      status = res.status;
      text = await res.text();
    }
    expect(status).toBe(400);
    expect(JSON.parse(text)).toMatchObject({ code: "invalid_argument" });
  });
});
