import { setTimeout as sleep } from "node:timers/promises";
import { createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { createValidateInterceptor } from "@connectrpc/validate";
import { HelloService } from "@hello/sdk";
import { type Level, pino } from "pino";
import { createErrorBoundaryInterceptor } from "../interceptors/error-boundary.js";
import { REQUEST_ID_HEADER, requestIdKey } from "../request-id.js";
import { CALL_LOG_MESSAGE, createCallLog, logUnexpectedError } from "./call-log.js";
import { connectionInfoKey } from "./connection-info.js";
import { createObserveCallsInterceptor } from "./observe-calls-interceptor.js";
import { parseTraceparent, traceContextKey } from "./traceparent.js";

const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

// What server.ts's `contextValues` does for calls from the network.
const contextFromHeaders: Interceptor = (next) => (req) => {
  req.contextValues
    .set(requestIdKey, req.header.get(REQUEST_ID_HEADER) ?? "")
    .set(traceContextKey, parseTraceparent(req.header.get("traceparent")))
    .set(connectionInfoKey, { httpVersion: "2", remoteAddress: "::1", remotePort: 40000 });
  return next(req);
};

function setup(level: Level = "info") {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const transport = createRouterTransport(
    (r) =>
      r.service(HelloService, {
        sayHello(req, ctx) {
          if (req.greeting === "bug") throw new Error("db password=hunter2");
          if (req.greeting === "slow") return sleep(10_000, undefined, { signal: ctx.signal }).then(() => ({ reply: "late" }));
          return { reply: `Hello, ${req.greeting}!` };
        },
        async *lotsOfReplies(req) {
          for (let i = 0; i < req.replyCount; i++) yield { reply: String(i) };
        },
      }),
    {
      router: {
        interceptors: [
          createObserveCallsInterceptor([createCallLog(logger)]),
          contextFromHeaders,
          createErrorBoundaryInterceptor({ onUnexpectedError: logUnexpectedError(logger) }),
          createValidateInterceptor(),
        ],
      },
    },
  );
  return { client: createClient(HelloService, transport), lines };
}

const ignore = (p: Promise<unknown>) => p.catch(() => undefined);
const calls = (lines: Record<string, unknown>[]) => lines.filter((l) => l["msg"] === CALL_LOG_MESSAGE);

describe("createCallLog()", () => {
  it("writes one line per call with what happened, where from, and the trace", async () => {
    const { client, lines } = setup();
    await client.sayHello({ greeting: "x" }, { headers: { [REQUEST_ID_HEADER]: "req-1", traceparent: TRACEPARENT } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toEqual({
      level: 30,
      time: expect.any(Number),
      pid: process.pid,
      hostname: expect.any(String),
      msg: CALL_LOG_MESSAGE,
      service: "hello.v1.HelloService",
      method: "SayHello",
      procedure: "/hello.v1.HelloService/SayHello",
      type: "unary",
      protocol: "connect",
      http_version: "2",
      code: "OK",
      duration_ms: expect.any(Number),
      request_id: "req-1",
      peer: "[::1]:40000",
      trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
      span_id: "00f067aa0ba902b7",
      messages_received: 1,
      messages_sent: 1,
    });
  });

  it("leaves out what the call did not have: no trace without a valid traceparent", async () => {
    const { client, lines } = setup();
    await client.sayHello({ greeting: "x" }, { headers: { traceparent: "00-garbage" } });
    expect(lines[0]).not.toHaveProperty("trace_id");
    expect(lines[0]).not.toHaveProperty("span_id");
    expect(lines[0]).not.toHaveProperty("request_id");
    expect(lines[0]).not.toHaveProperty("error");
  });

  it("logs a stream when it ends, with its message counts", async () => {
    const { client, lines } = setup();
    for await (const _ of client.lotsOfReplies({ greeting: "x", replyCount: 3 }));
    await sleep(10);
    expect(lines).toEqual([
      expect.objectContaining({ method: "LotsOfReplies", type: "server_stream", code: "OK", messages_received: 1, messages_sent: 3 }),
    ]);
  });

  it("picks the level from the code, as go-grpc-middleware does, and names the error", async () => {
    const { client, lines } = setup();
    await ignore(client.sayHello({ greeting: "" }));
    await ignore(client.sayHello({ greeting: "slow" }, { timeoutMs: 50 }));
    await ignore(client.sayHello({ greeting: "bug" }));
    expect(calls(lines).map((l) => [l["code"], l["level"]])).toEqual([
      ["InvalidArgument", 30],
      ["DeadlineExceeded", 40],
      ["Internal", 50],
    ]);
    expect(calls(lines)[0]?.["error"]).toMatch(/greeting/);
    expect(calls(lines)[2]?.["error"]).toBe("internal error");
  });

  it("logs an unexpected error with its stack through the same logger", async () => {
    const { client, lines } = setup();
    await ignore(client.sayHello({ greeting: "bug" }));
    const unexpected = lines.find((l) => l["msg"] === "unexpected error");
    expect(unexpected).toMatchObject({
      level: 50,
      procedure: "/hello.v1.HelloService/SayHello",
      err: { type: "Error", message: "db password=hunter2", stack: expect.stringContaining("call-log.test.ts") },
    });
  });

  it("builds nothing for levels that are off", async () => {
    const { client, lines } = setup("warn");
    await client.sayHello({ greeting: "x" });
    await ignore(client.sayHello({ greeting: "" }));
    expect(lines).toEqual([]);
    await ignore(client.sayHello({ greeting: "bug" }));
    expect(calls(lines).map((l) => l["code"])).toEqual(["Internal"]);
  });
});
