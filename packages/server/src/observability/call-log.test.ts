import { tracingChannel } from "node:diagnostics_channel";
import { ROOT_CONTEXT, type SpanContext, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, createClient, createContextValues, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { createValidateInterceptor } from "@connectrpc/validate";
import { HelloService } from "@hello/sdk";
import { type Bindings, type ChildLoggerOptions, type DestinationStream, type Level, type Logger, type LoggerOptions, pino } from "pino";
import { createErrorBoundaryInterceptor } from "../interceptors/error-boundary.js";
import { REQUEST_ID_HEADER, requestIdKey } from "../request-id.js";
import { CALL_LOG_MESSAGE, createCallLog, directLineWriter, logUnexpectedError, millisText } from "./call-log.js";
import { type ConnectionInfo, connectionInfoKey } from "./connection-info.js";
import { createObserveCallsInterceptor } from "./observe-calls-interceptor.js";
import { ObservedCall } from "./observed-call.js";
import { createOpenTelemetryInterceptor } from "./opentelemetry-interceptor.js";
import { spanContextKey } from "./span-context.js";

const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/** The caller's span context in a `traceparent` value, as a W3C propagator reads it. */
function spanContextOf(traceparent: string | undefined): SpanContext | undefined {
  if (traceparent === undefined) return undefined;
  const extracted = new W3CTraceContextPropagator().extract(
    ROOT_CONTEXT,
    { traceparent },
    { get: (c, k) => c[k as "traceparent"], keys: Object.keys },
  );
  return trace.getSpanContext(extracted);
}

// What server.ts's `contextValues` does for calls from the network.
const contextFromHeaders: Interceptor = (next) => (req) => {
  req.contextValues
    .set(requestIdKey, req.header.get(REQUEST_ID_HEADER) ?? "")
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
          createOpenTelemetryInterceptor(),
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

describe("createCallLog(): lines written without pino's log method", () => {
  /** A call as the observing interceptor ends it. */
  function endedCall(shape: {
    code?: Code | 0;
    error?: string;
    requestId?: string;
    connection?: ConnectionInfo;
    traceparent?: string;
    method?: "sayHello" | "lotsOfReplies";
  }): ObservedCall {
    const values = createContextValues()
      .set(requestIdKey, shape.requestId ?? "")
      .set(spanContextKey, spanContextOf(shape.traceparent))
      .set(connectionInfoKey, shape.connection);
    const call = new ObservedCall(HelloService.method[shape.method ?? "sayHello"], "grpc", values, 0);
    call.durationMs = 1.23456;
    call.messagesReceived = 1;
    call.messagesSent = shape.code ? 0 : 1;
    if (shape.code) {
      call.code = shape.code;
      call.error = new ConnectError(shape.error ?? "failed", shape.code);
    }
    return call;
  }

  // Six at info, two at warn (DeadlineExceeded, Unavailable), one at error (Internal).
  const CALLS = [
    endedCall({ requestId: "req-1", connection: { httpVersion: "2", remoteAddress: "::1", remotePort: 40000 }, traceparent: TRACEPARENT }),
    endedCall({ connection: { httpVersion: "1.1", remoteAddress: "127.0.0.1", remotePort: 5 } }),
    endedCall({}),
    endedCall({ connection: { httpVersion: "2", remoteAddress: undefined, remotePort: undefined } }),
    endedCall({ method: "lotsOfReplies", requestId: 'a\\b"c' }),
    endedCall({ code: Code.InvalidArgument, error: 'greeting: value length must be at least 1 "characters"' }),
    endedCall({ code: Code.DeadlineExceeded, error: "line\nbreak\ttab \u0001 and \\ backslash" }),
    endedCall({ code: Code.Internal, error: `café ☕ 😀 ${"long ".repeat(30)}` }),
    endedCall({ code: Code.Unavailable, error: "server is shutting down" }),
  ];

  const LOG_LEVELS = ["info", "warn", "error"] as const;

  /**
   * Spies on `logger`'s level methods and on those of every child made from it: returns how
   * many times pino's log method was called, each call counted once, on the logger it was
   * called on (a child's spy calls through to the parent's, which then sees the child as
   * `this`).
   */
  function spyOnLogMethods(logger: Logger): () => number {
    const spies: [Logger, jest.SpyInstance][] = [];
    const spyOn = (target: Logger) => {
      for (const level of LOG_LEVELS) spies.push([target, jest.spyOn(target, level)]);
    };
    spyOn(logger);
    const makeChild = logger.child.bind(logger);
    jest.spyOn(logger, "child").mockImplementation(((bindings: Bindings, options?: ChildLoggerOptions) => {
      const child = makeChild(bindings, options);
      spyOn(child);
      return child;
    }) as unknown as typeof logger.child);
    return () => spies.reduce((n, [target, spy]) => n + spy.mock.contexts.filter((context) => context === target).length, 0);
  }

  type Destination = (write: (line: string) => void) => DestinationStream;
  const plainDestination: Destination = (write) => ({ write });

  /**
   * The raw lines a call log over `options` writes for `calls`, through pino's log method
   * or not, and how many times it called pino's log method.
   */
  function linesOf(
    options: LoggerOptions,
    direct: boolean,
    destination: Destination = plainDestination,
    calls: readonly ObservedCall[] = CALLS,
  ): { lines: string[]; pinoCalls: number } {
    const lines: string[] = [];
    const logger = pino(
      options,
      destination((line) => void lines.push(line)),
    );
    const pinoCalls = spyOnLogMethods(logger);
    const log = createCallLog(logger, { direct });
    for (const call of calls) log.callEnded(call);
    return { lines, pinoCalls: pinoCalls() };
  }

  const FIXED_TIME = () => ',"time":1700000000000';

  it.each<[string, LoggerOptions, "direct" | "pino", (number | undefined)?, Destination?]>([
    ["the defaults (time replaced)", { timestamp: FIXED_TIME }, "direct"],
    ["ISO time", { timestamp: () => ',"time":"2026-11-21T10:00:00.000Z"' }, "direct"],
    ["no time (timestamp: false)", { timestamp: false }, "direct"],
    [
      "a time function that reads the logger it is called on",
      {
        // pino also calls it once unbound, when it makes the logger.
        timestamp(this: Logger | undefined) {
          return `,"time":1700000000000,"logged_by":${JSON.stringify(this?.bindings()["method"] ?? null)}`;
        },
      },
      "direct",
    ],
    ["no base bindings", { base: null, timestamp: FIXED_TIME }, "direct"],
    ["base bindings of its own", { base: { app: 'he said "hi"', region: "eu" }, timestamp: FIXED_TIME }, "direct"],
    ["level labels (formatters.level)", { formatters: { level: (label) => ({ severity: label }) }, timestamp: FIXED_TIME }, "direct"],
    ["another message key", { messageKey: "message", timestamp: FIXED_TIME }, "direct"],
    ["debug level", { level: "debug", timestamp: FIXED_TIME }, "direct"],
    ["CRLF line ends", { crlf: true, timestamp: FIXED_TIME }, "direct"],
    [
      "custom levels, labelled",
      { customLevels: { notice: 35 }, level: "notice", formatters: { level: (label) => ({ severity: label }) }, timestamp: FIXED_TIME },
      "direct",
      3,
    ],
    [
      "only custom levels, with info, warn and error among them",
      { customLevels: { info: 300, warn: 400, error: 500 }, useOnlyCustomLevels: true, level: "info", timestamp: FIXED_TIME },
      "direct",
    ],
    ["the level comparison named as the default (ASC)", { levelComparison: "ASC", timestamp: FIXED_TIME }, "direct"],
    ["the descending level comparison, at error", { levelComparison: "DESC", level: "error", timestamp: FIXED_TIME }, "pino"],
    ["the descending level comparison, at warn", { levelComparison: "DESC", level: "warn", timestamp: FIXED_TIME }, "pino", 8],
    [
      "a level comparison of its own",
      { levelComparison: (current: number, expected: number) => current >= expected, level: "warn", timestamp: FIXED_TIME },
      "pino",
      3,
    ],
    ['errorKey: "error" (the default err serializer)', { errorKey: "error", timestamp: FIXED_TIME }, "pino"],
    ["a multistream destination", { timestamp: FIXED_TIME }, "pino", undefined, (write) => pino.multistream([{ stream: { write } }])],
  ])("writes byte for byte what pino writes, with %s", (_name, options, path, count = CALLS.length, destination = plainDestination) => {
    const direct = linesOf(options, true, destination);
    const viaPino = linesOf(options, false, destination);
    expect(direct.lines).toEqual(viaPino.lines);
    expect(direct.lines).toHaveLength(count);
    for (const line of direct.lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    // Each line through pino's log method exactly when the logger cannot be written to directly.
    expect(viaPino.pinoCalls).toBe(count);
    expect(direct.pinoCalls).toBe(path === "pino" ? count : 0);
    const writer = directLineWriter(
      pino(
        options,
        destination(() => undefined),
      ).child({ service: "s" }),
    );
    if (path === "pino") expect(writer).toBeUndefined();
    else expect(writer).toBeDefined();
  });

  it("writes byte for byte what pino writes with pino's own clock, but for the time", () => {
    const untimed = (lines: string[]) => lines.map((l) => l.replace(/"time":\d+/, '"time":0'));
    expect(untimed(linesOf({}, true).lines)).toEqual(untimed(linesOf({}, false).lines));
  });

  it("writes the millisecond each line is written in, with pino's default clock", () => {
    jest.useFakeTimers({ now: 1_700_000_000_000 });
    try {
      const lines: string[] = [];
      const log = createCallLog(pino({}, { write: (line: string) => void lines.push(line) }));
      const timeOf = (line: string | undefined) => (JSON.parse(line ?? "{}") as { time?: number }).time;
      log.callEnded(CALLS[0] as ObservedCall);
      log.callEnded(CALLS[1] as ObservedCall);
      jest.advanceTimersByTime(1);
      log.callEnded(CALLS[2] as ObservedCall);
      jest.setSystemTime(1_800_000_000_000);
      log.callEnded(CALLS[3] as ObservedCall);
      expect(lines.map(timeOf)).toEqual([1_700_000_000_000, 1_700_000_000_000, 1_700_000_000_001, 1_800_000_000_000]);
    } finally {
      jest.useRealTimers();
    }
  });

  it("writes a plain logger's lines without pino's log method (which direct: false uses)", () => {
    const direct = linesOf({}, true);
    expect(direct.lines).toHaveLength(CALLS.length);
    expect(direct.pinoCalls).toBe(0);
    const viaPino = linesOf({}, false);
    expect(viaPino.lines).toHaveLength(CALLS.length);
    expect(viaPino.pinoCalls).toBe(CALLS.length);
  });

  it("follows the logger's level after it changes", () => {
    const lines: string[] = [];
    const logger = pino({ levelComparison: "DESC", level: "info" }, { write: (line: string) => void lines.push(line) });
    const log = createCallLog(logger);
    const [ok, unavailable] = [CALLS[0] as ObservedCall, CALLS[8] as ObservedCall];
    log.callEnded(ok);
    log.callEnded(unavailable);
    logger.level = "warn";
    log.callEnded(ok);
    log.callEnded(unavailable);
    logger.level = "trace";
    log.callEnded(ok);
    log.callEnded(unavailable);
    expect(lines.map((l) => (JSON.parse(l) as { level: number }).level)).toEqual([30, 30, 40]);
  });

  it("leaves lines to pino while its diagnostics channel has subscribers, which see them", () => {
    const lines: string[] = [];
    const logger = pino({ timestamp: FIXED_TIME }, { write: (line: string) => void lines.push(line) });
    const pinoCalls = spyOnLogMethods(logger);
    const log = createCallLog(logger);
    log.callEnded(CALLS[0] as ObservedCall);
    expect(pinoCalls()).toBe(0);

    // pino's own channel, by its name in pino's lib/tools.js; `end` carries the line.
    const channel = tracingChannel<unknown, { result?: unknown }>("pino_asJson");
    const seen: unknown[] = [];
    const subscribers = {
      start: () => undefined,
      end: (context: { result?: unknown }) => void seen.push(context.result),
      asyncStart: () => undefined,
      asyncEnd: () => undefined,
      error: () => undefined,
    };
    channel.subscribe(subscribers);
    try {
      for (const call of CALLS) log.callEnded(call);
    } finally {
      channel.unsubscribe(subscribers);
    }
    expect(pinoCalls()).toBe(CALLS.length);
    expect(seen).toEqual(lines.slice(1));
    expect(lines.slice(1)).toEqual(linesOf({ timestamp: FIXED_TIME }, false).lines);

    log.callEnded(CALLS[0] as ObservedCall);
    expect(pinoCalls()).toBe(CALLS.length);
    expect(lines).toHaveLength(CALLS.length + 2);
  });

  it("leaves a line whose error is not a string to pino", () => {
    // `ConnectError.from` keeps an Error's message as it is, whatever its type.
    const call = endedCall({ code: Code.Internal });
    call.error = ConnectError.from(Object.assign(new Error(), { message: 42 }), Code.Internal);
    const direct = linesOf({ timestamp: FIXED_TIME }, true, plainDestination, [call]);
    expect(direct.lines).toEqual(linesOf({ timestamp: FIXED_TIME }, false, plainDestination, [call]).lines);
    expect(direct.lines[0]).toContain('"error":42,');
    expect(direct.pinoCalls).toBe(1);
  });

  it("escapes a lone surrogate (pino would write it raw, making the line invalid UTF-8)", () => {
    const lines: string[] = [];
    const log = createCallLog(pino({}, { write: (line: string) => void lines.push(line) }));
    log.callEnded(endedCall({ code: Code.Internal, error: "bad \ud800 half" }));
    expect(lines[0]).toContain('"error":"bad \\ud800 half"');
    expect((JSON.parse(lines[0] ?? "") as { error: string }).error).toBe("bad \ud800 half");
  });

  /** Replaces the function under `symbol` of `logger`, which pino calls with the logger as `this`. */
  function replace(
    logger: Logger,
    symbol: symbol,
    wrap: (original: (...args: unknown[]) => unknown) => (this: Logger, ...args: unknown[]) => unknown,
  ) {
    const config = logger as unknown as Record<symbol, (...args: unknown[]) => unknown>;
    config[symbol] = wrap(config[symbol] as (...args: unknown[]) => unknown);
  }

  it.each<[string, LoggerOptions, (line: Record<string, unknown>) => void, ((logger: Logger) => void)?]>([
    ["a mixin", { mixin: () => ({ zone: "z1" }) }, (l) => expect(l["zone"]).toBe("z1")],
    ["redaction", { redact: ["peer"] }, (l) => expect(l["peer"]).toBe("[Redacted]")],
    ["a serializer of a field", { serializers: { request_id: () => "hidden" } }, (l) => expect(l["request_id"]).toBe("hidden")],
    ["a log formatter", { formatters: { log: (o) => ({ ...o, formatted: true }) } }, (l) => expect(l["formatted"]).toBe(true)],
    ["a message prefix", { msgPrefix: "[rpc] " }, (l) => expect(l["msg"]).toBe(`[rpc] ${CALL_LOG_MESSAGE}`)],
    ["a nested key", { nestedKey: "call" }, (l) => expect(l["call"]).toMatchObject({ code: "OK" })],
    [
      "a logMethod hook",
      {
        hooks: {
          logMethod(args, method) {
            method.apply(this, [{ hooked: 1 }, ...args] as unknown as Parameters<typeof method>);
          },
        },
      },
      (l) => expect(l["hooked"]).toBe(1),
    ],
    [
      "a streamWrite hook",
      { hooks: { streamWrite: (s: string) => s.replace("finished call", "FINISHED") } },
      (l) => expect(l["msg"]).toBe("FINISHED"),
    ],
    [
      "an onChild of its own",
      {
        onChild(child) {
          const info = child.info.bind(child) as (obj: object, msg: string) => void;
          child.info = ((obj: object, msg: string) => info({ ...obj, seen_by_on_child: true }, msg)) as typeof child.info;
        },
      },
      (l) => expect(l["seen_by_on_child"]).toBe(true),
    ],
    [
      "its asJson replaced",
      {},
      (l) => expect(l["msg"]).toBe("AS JSON"),
      (logger) =>
        replace(
          logger,
          pino.symbols.asJsonSym,
          (asJson) =>
            function (...args) {
              return String(asJson.apply(this, args)).replace(CALL_LOG_MESSAGE, "AS JSON");
            },
        ),
    ],
    [
      "its write replaced",
      {},
      (l) => expect(l["written_by"]).toBe("write"),
      (logger) =>
        replace(
          logger,
          pino.symbols.writeSym,
          (write) =>
            function (obj, ...rest) {
              return write.call(this, { ...(obj as object), written_by: "write" }, ...rest);
            },
        ),
    ],
  ])("leaves the line to pino with %s, which then applies it", (_name, options, check, customise = () => undefined) => {
    // `customise` has a default, not a `?`: jest passes a `done` callback to a test function
    // that takes more parameters than its row has.
    const lines: string[] = [];
    const logger = pino(options, { write: (line: string) => void lines.push(line) });
    customise(logger);
    expect(directLineWriter(logger.child({ service: "s" }))).toBeUndefined();
    const log = createCallLog(logger);
    log.callEnded(CALLS[0] as ObservedCall);
    expect(lines).toHaveLength(1);
    check(JSON.parse(lines[0] ?? "") as Record<string, unknown>);
  });

  it('leaves the line to pino with errorKey: "error", which passes the error through serializers.err', () => {
    const lines: string[] = [];
    const logger = pino({ errorKey: "error", serializers: { err: () => "[hidden]" } }, { write: (line: string) => void lines.push(line) });
    createCallLog(logger).callEnded(CALLS[5] as ObservedCall);
    expect((JSON.parse(lines[0] ?? "") as { error: unknown }).error).toBe("[hidden]");
  });
});

describe("millisText()", () => {
  it("writes a duration rounded to the microsecond as String() does", () => {
    const samples = [0, 0.001, 0.01, 0.1, 0.412, 1, 1.5, 1.05, 12.1, 999.999, 1000, 1000.5, 123456.789, 86_400_000.001];
    for (let i = 0; i < 20_000; i++) samples.push(Math.round(Math.random() * 10 ** (1 + (i % 9)) * 1000) / 1000);
    for (const ms of samples) expect(millisText(ms)).toBe(String(ms));
  });

  it("leaves what is not a rounded, finite, non-negative duration to String()", () => {
    for (const ms of [0.0004, 1.23456, -1, -0.5, 1e21, 2 ** 60 + 0.5]) expect(millisText(ms)).toBe(String(ms));
    expect(millisText(Number.NaN)).toBe("null");
    expect(millisText(Number.POSITIVE_INFINITY)).toBe("null");
  });
});
