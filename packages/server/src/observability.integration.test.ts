/**
 * Observability on a real server (127.0.0.1, port 0): calls over gRPC (HTTP/2), gRPC-Web
 * and Connect (HTTP/1.1), then `GET /metrics` as Prometheus scrapes it, and the JSON log
 * lines pino wrote, captured through a destination stream. And a server without a logger
 * writes nothing.
 */
import * as fs from "node:fs";
import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { HelloService } from "@hello/sdk";
import { pino } from "pino";
import { CALL_LOG_MESSAGE } from "./observability/call-log.js";
import type { HelloServer } from "./server.js";
import { parsePrometheusText, type Sample, sumOf } from "./test-support/prometheus-text.js";
import { type ServerEvents, startTestServer } from "./test-support/start-test-server.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID = "00f067aa0ba902b7";
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;
const SERVICE = "hello.v1.HelloService";

/** Fails a call from inside the server's interceptors, the way a bug in a handler would. */
const failOnRequest: Interceptor = (next) => (req) => {
  if (req.header.has("x-test-bug")) throw new Error("a bug with a stack");
  return next(req);
};

const sessions: Http2SessionManager[] = [];
afterAll(() => {
  for (const s of sessions) s.abort(new Error("test suite done"));
});

function transports(server: HelloServer): [protocol: "grpc" | "grpc-web" | "connect", httpVersion: string, Transport][] {
  const sessionManager = new Http2SessionManager(server.url);
  sessions.push(sessionManager);
  return [
    ["grpc", "2", createGrpcTransport({ baseUrl: server.url, sessionManager })],
    ["grpc-web", "1.1", createGrpcWebTransport({ baseUrl: server.url, httpVersion: "1.1" })],
    ["connect", "1.1", createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" })],
  ];
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

describe("a server with a logger and metrics", () => {
  let server: HelloServer;
  let events: ServerEvents;
  const lines: Record<string, unknown>[] = [];
  const callLines = () => lines.filter((l) => l["msg"] === CALL_LOG_MESSAGE);
  let samples: Sample[];
  let metricsResponse: Response;
  let callsMade = 0;

  beforeAll(async () => {
    const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    ({ server, events } = await startTestServer({ logger, interceptors: [failOnRequest] }));

    for (const [protocol, , transport] of transports(server)) {
      const client = createClient(HelloService, transport);
      const headers = { "x-request-id": `${protocol}-ok`, traceparent: TRACEPARENT };
      await client.sayHello({ greeting: protocol }, { headers });
      expect((await failure(client.sayHello({ greeting: "" }, { headers: { "x-request-id": `${protocol}-bad` } })))?.code).toBe(
        Code.InvalidArgument,
      );
      expect((await failure(client.sayHello({ greeting: "x" }, { headers: { "x-test-bug": "1" } })))?.code).toBe(Code.Internal);
      const replies: string[] = [];
      for await (const res of client.lotsOfReplies({ greeting: "x", replyCount: 3 })) replies.push(res.reply);
      expect(replies).toHaveLength(3);
      callsMade += 4;
    }
    const grpc = createClient(HelloService, transports(server)[0]![2]);
    // Bidi (HTTP/2 only), and a stream the client walks away from.
    async function* greetings() {
      yield { greeting: "a" };
      yield { greeting: "b" };
    }
    for await (const _ of grpc.bidiHello(greetings()));
    const ended = events.nextEnd("LotsOfReplies");
    const abort = new AbortController();
    const stream = grpc.lotsOfReplies({ greeting: "x", replyCount: 100, replyInterval: { nanos: 20_000_000 } }, { signal: abort.signal });
    await failure(
      (async () => {
        for await (const _ of stream) {
          // With a CANCELED reason connect-node resets the HTTP/2 stream with CANCEL, as gRPC
          // clients do (a bare abort() sends INTERNAL_ERROR, which the server counts as INTERNAL).
          abort.abort(new ConnectError("the client gave up", Code.Canceled));
        }
      })(),
    );
    expect((await ended).end).toBe("aborted");
    callsMade += 2;
    await until(() => callLines().length === callsMade, `${callsMade} call lines`);

    metricsResponse = await fetch(`${server.url}/metrics`);
    samples = parsePrometheusText(await metricsResponse.text());
  });
  afterAll(() => server.close(500));

  it("serves GET /metrics in the Prometheus text format", () => {
    expect(metricsResponse.status).toBe(200);
    expect(metricsResponse.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it.each(["grpc", "grpc-web", "connect"])("counts %s calls by service, method, type and code", (protocol) => {
    const sayHello = { grpc_service: SERVICE, grpc_method: "SayHello", grpc_type: "unary", protocol };
    expect(sumOf(samples, "grpc_server_started_total", sayHello)).toBe(3);
    expect(sumOf(samples, "grpc_server_handled_total", { ...sayHello, grpc_code: "OK" })).toBe(1);
    expect(sumOf(samples, "grpc_server_handled_total", { ...sayHello, grpc_code: "InvalidArgument" })).toBe(1);
    expect(sumOf(samples, "grpc_server_handled_total", { ...sayHello, grpc_code: "Internal" })).toBe(1);
    expect(sumOf(samples, "grpc_server_handling_seconds_count", sayHello)).toBe(3);
    expect(sumOf(samples, "grpc_server_handling_seconds_bucket", { ...sayHello, le: "+Inf" })).toBe(3);
    expect(sumOf(samples, "grpc_server_handling_seconds_sum", sayHello)).toBeGreaterThan(0);

    const replies = { grpc_service: SERVICE, grpc_method: "LotsOfReplies", grpc_type: "server_stream", protocol };
    expect(sumOf(samples, "grpc_server_handled_total", { ...replies, grpc_code: "OK" })).toBe(1);
    // Over gRPC there is also the stream the client cancelled after its first reply.
    expect(sumOf(samples, "grpc_server_msg_received_total", replies)).toBe(protocol === "grpc" ? 2 : 1);
    expect(sumOf(samples, "grpc_server_msg_sent_total", replies)).toBeGreaterThanOrEqual(protocol === "grpc" ? 4 : 3);
    expect(sumOf(samples, "grpc_server_msg_sent_total", replies)).toBeLessThan(protocol === "grpc" ? 10 : 4);
  });

  it("counts bidi streams and cancelled streams", () => {
    const bidi = { grpc_method: "BidiHello", grpc_type: "bidi_stream", protocol: "grpc" };
    expect(sumOf(samples, "grpc_server_handled_total", { ...bidi, grpc_code: "OK" })).toBe(1);
    expect(sumOf(samples, "grpc_server_msg_received_total", bidi)).toBe(2);
    expect(sumOf(samples, "grpc_server_msg_sent_total", bidi)).toBe(2);
    const replies = { grpc_method: "LotsOfReplies", protocol: "grpc" };
    expect(sumOf(samples, "grpc_server_started_total", replies)).toBe(2);
    expect(sumOf(samples, "grpc_server_handled_total", { ...replies, grpc_code: "Canceled" })).toBe(1);
  });

  it("exports the process metrics too", () => {
    for (const name of [
      "process_cpu_user_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_heap_size_used_bytes",
      "nodejs_eventloop_lag_seconds",
    ]) {
      expect(samples.some((s) => s.name === name)).toBe(true);
    }
  });

  it("writes one log line per call, with every field", () => {
    expect(callLines()).toHaveLength(callsMade);
    for (const [protocol, httpVersion] of transports(server)) {
      const ok = callLines().find((l) => l["request_id"] === `${protocol}-ok`);
      expect(ok).toEqual({
        level: 30,
        time: expect.any(Number),
        pid: process.pid,
        hostname: expect.any(String),
        msg: CALL_LOG_MESSAGE,
        service: SERVICE,
        method: "SayHello",
        procedure: `/${SERVICE}/SayHello`,
        type: "unary",
        protocol,
        http_version: httpVersion,
        code: "OK",
        duration_ms: expect.any(Number),
        request_id: `${protocol}-ok`,
        peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        trace_id: TRACE_ID,
        span_id: PARENT_ID,
        messages_received: 1,
        messages_sent: 1,
      });
      const bad = callLines().find((l) => l["request_id"] === `${protocol}-bad`);
      expect(bad).toMatchObject({ code: "InvalidArgument", level: 30, error: expect.stringMatching(/greeting/) });
      expect(bad).not.toHaveProperty("trace_id");
      const stream = callLines().find((l) => l["protocol"] === protocol && l["method"] === "LotsOfReplies");
      expect(stream).toMatchObject({ type: "server_stream", code: "OK", messages_sent: 3, request_id: expect.any(String) });
    }
    expect(callLines().find((l) => l["code"] === "Canceled")).toMatchObject({ method: "LotsOfReplies", level: 30, protocol: "grpc" });
  });

  it("logs each unexpected error with its stack, and the call as INTERNAL", () => {
    const unexpected = lines.filter((l) => l["msg"] === "unexpected error");
    expect(unexpected).toHaveLength(3);
    expect(unexpected[0]).toMatchObject({
      level: 50,
      procedure: `/${SERVICE}/SayHello`,
      err: { message: "a bug with a stack", stack: expect.stringContaining("observability.integration.test.ts") },
    });
    expect(events.unexpected).toHaveLength(3); // the onUnexpectedError hook still hears of them
    expect(callLines().filter((l) => l["code"] === "Internal" && l["level"] === 50)).toHaveLength(3);
  });
});

describe("a server without a logger", () => {
  it("writes nothing, whatever the calls", async () => {
    const { server } = await startTestServer();
    const writes: unknown[] = [];
    const spies = [
      jest.spyOn(process.stdout, "write").mockImplementation((chunk) => (writes.push(chunk), true)),
      jest.spyOn(process.stderr, "write").mockImplementation((chunk) => (writes.push(chunk), true)),
      jest.spyOn(fs, "writeSync").mockImplementation((fd, chunk) => (writes.push([fd, chunk]), 0)),
      jest.spyOn(console, "log").mockImplementation((...args) => void writes.push(args)),
      jest.spyOn(console, "error").mockImplementation((...args) => void writes.push(args)),
    ];
    try {
      for (const [, , transport] of transports(server)) {
        const client = createClient(HelloService, transport);
        await client.sayHello({ greeting: "quiet" }, { headers: { traceparent: TRACEPARENT } });
        await failure(client.sayHello({ greeting: "" }));
        for await (const _ of client.lotsOfReplies({ greeting: "x", replyCount: 2 }));
      }
    } finally {
      for (const spy of spies) spy.mockRestore();
      await server.close(500);
    }
    expect(writes).toEqual([]);
  });
});

describe("a server with metrics: false", () => {
  it("has no /metrics route", async () => {
    const { server } = await startTestServer({ metrics: false });
    try {
      const res = await fetch(`${server.url}/metrics`);
      expect(res.status).toBe(404);
      expect(await res.text()).not.toMatch(/grpc_server_started_total/);
    } finally {
      await server.close(500);
    }
  });
});

describe("calls the HTTP/2 fast path answers", () => {
  it("are observed with the protocol they spoke (log line and metrics)", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const { server } = await startTestServer({ logger });
    const sessionManager = new Http2SessionManager(server.url);
    try {
      const h2: [string, Transport][] = [
        ["grpc", createGrpcTransport({ baseUrl: server.url, sessionManager })],
        ["grpc-web", createGrpcWebTransport({ baseUrl: server.url, httpVersion: "2", sessionManager })],
        ["connect", createConnectTransport({ baseUrl: server.url, httpVersion: "2", sessionManager })],
      ];
      for (const [protocol, transport] of h2) {
        await createClient(HelloService, transport).sayHello({ greeting: protocol }, { headers: { "x-request-id": `h2-${protocol}` } });
      }
      await until(() => lines.filter((l) => l["msg"] === CALL_LOG_MESSAGE).length === 3, "three call lines");
      const seen = lines.filter((l) => l["msg"] === CALL_LOG_MESSAGE).map((l) => [l["request_id"], l["protocol"], l["http_version"]]);
      expect(seen).toEqual([
        ["h2-grpc", "grpc", "2"],
        ["h2-grpc-web", "grpc-web", "2"],
        ["h2-connect", "connect", "2"],
      ]);
      const samples = parsePrometheusText(await (await fetch(`${server.url}/metrics`)).text());
      for (const [protocol] of h2) {
        expect(sumOf(samples, "grpc_server_handled_total", { grpc_method: "SayHello", protocol, grpc_code: "OK" })).toBe(1);
      }
    } finally {
      sessionManager.abort(new Error("test done"));
      await server.close(500);
    }
  });
});
