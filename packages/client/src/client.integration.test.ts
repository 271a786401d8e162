/**
 * The client SDK's integration suite: `createHelloClient` against a real hello server on a
 * port-0 socket, over gRPC, gRPC-Web and Connect, HTTP/1.1 and HTTP/2. The server gets two
 * test interceptors: one records what each call carried (headers, timeouts, token), one
 * fails calls on request (`x-test-fail*` headers) so that retries meet real UNAVAILABLE
 * responses. Connection failures are real too: a port nothing listens on. Nothing here
 * mocks a socket, a server or a client.
 */
import { spawn } from "node:child_process";
import * as net from "node:net";
import { join } from "node:path";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createContextValues, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { HelloService } from "@hello/sdk";
import { createHelloServer, type GreetingEnd, type HelloServer } from "@hello/server";
import {
  binaryHeaderValues,
  callOptionsFromContext,
  type ChannelState,
  createCallHeaders,
  createHelloClient,
  fieldViolationsOf,
  type HelloClient,
  type NodeHelloClientOptions,
  PREVIOUS_ATTEMPTS_HEADER,
  REQUEST_ID_HEADER,
  requestIdOf,
  RETRY_PUSHBACK_HEADER,
  retryOptionsKey,
} from "./index.js";

// ---------------------------------------------------------------------------------------
// The server, and what it saw

/** One attempt of a call, as the server received it. */
interface SeenCall {
  method: string;
  header: Headers;
  at: number;
}

/** Every call the server received, by request id (attempts of a retried call share one). */
const seen = new Map<string, SeenCall[]>();
const ends: { method: string; end: GreetingEnd }[] = [];

const record: Interceptor = (next) => async (req) => {
  const id = req.header.get(REQUEST_ID_HEADER) ?? "";
  const calls = seen.get(id) ?? [];
  calls.push({ method: req.method.name, header: new Headers(req.header), at: Date.now() });
  seen.set(id, calls);
  return next(req);
};

/**
 * Fails calls as the request asks: the first `x-test-fail` attempts of a call (by request
 * id) with `x-test-fail-code` (default UNAVAILABLE) and `x-test-pushback` as the retry hint;
 * with `x-test-fail-after-first`, server streams fail after their first message instead.
 */
const flaky: Interceptor = (next) => async (req) => {
  const failTimes = Number(req.header.get("x-test-fail") ?? "0");
  const attempt = seen.get(req.header.get(REQUEST_ID_HEADER) ?? "")?.length ?? 1;
  const code = req.header.get("x-test-fail-code") === "resource_exhausted" ? Code.ResourceExhausted : Code.Unavailable;
  const pushback = req.header.get("x-test-pushback");
  const failure = () =>
    new ConnectError(`flaky: attempt ${attempt} fails`, code, pushback === null ? undefined : { [RETRY_PUSHBACK_HEADER]: pushback });
  if (req.header.has("x-test-fail-after-first")) {
    const res = await next(req);
    if (!res.stream) return res;
    return {
      ...res,
      message: (async function* () {
        for await (const message of res.message) {
          yield message;
          throw failure();
        }
      })(),
    };
  }
  if (attempt <= failTimes) {
    throw failure();
  }
  return next(req);
};

let server: HelloServer;
const clients: HelloClient[] = [];

// When a client cancels a stream the server is writing to, connect-node's adapter sees Node's
// ERR_STREAM_DESTROYED / ERR_HTTP2_INVALID_STREAM, which it maps to ABORTED and ignores. In
// jest's realm those errors are not `instanceof Error` (see test-support/call-once.ts), so it
// logs them as failed handlers instead. Only those lines are dropped; anything else shows.
const consoleError = console.error.bind(console);
beforeAll(() => {
  jest.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
    const clientWentAway =
      typeof args[0] === "string" &&
      args[0].startsWith("handler for rpc ") &&
      /ERR_STREAM_DESTROYED|ERR_HTTP2_INVALID_STREAM/.test(String(args[1]));
    if (!clientWentAway) consoleError(...args);
  });
});
afterAll(() => jest.restoreAllMocks());

beforeAll(async () => {
  server = createHelloServer({
    port: 0,
    host: "127.0.0.1",
    interceptors: [record, flaky],
    greeter: { observer: { ended: (method, end) => ends.push({ method, end }) } },
  });
  await server.listen();
});

afterAll(async () => {
  for (const client of clients) client.close();
  await server.close(1_000);
});

// ---------------------------------------------------------------------------------------
// Helpers

interface Variant {
  name: string;
  options: Pick<NodeHelloClientOptions, "protocol" | "httpVersion" | "useJson">;
  http2: boolean;
  /** Where the protocol says how a streamed message is compressed. */
  streamEncodingHeader: string;
}

const variants: Variant[] = [
  { name: "gRPC (HTTP/2)", options: { protocol: "grpc" }, http2: true, streamEncodingHeader: "grpc-encoding" },
  {
    name: "gRPC-Web over HTTP/1.1",
    options: { protocol: "grpc-web", httpVersion: "1.1" },
    http2: false,
    streamEncodingHeader: "grpc-encoding",
  },
  {
    name: "gRPC-Web over HTTP/2",
    options: { protocol: "grpc-web", httpVersion: "2" },
    http2: true,
    streamEncodingHeader: "grpc-encoding",
  },
  {
    name: "Connect over HTTP/1.1",
    options: { protocol: "connect", httpVersion: "1.1" },
    http2: false,
    streamEncodingHeader: "connect-content-encoding",
  },
  {
    name: "Connect over HTTP/2",
    options: { protocol: "connect", httpVersion: "2" },
    http2: true,
    streamEncodingHeader: "connect-content-encoding",
  },
  {
    name: "Connect JSON over HTTP/1.1",
    options: { protocol: "connect", httpVersion: "1.1", useJson: true },
    http2: false,
    streamEncodingHeader: "connect-content-encoding",
  },
];

/** A client of the test server (or of `baseUrl`), closed after the suite. */
function newClient(options: Omit<NodeHelloClientOptions, "baseUrl">, baseUrl = server.url): HelloClient {
  const client = createHelloClient({ baseUrl, ...options });
  clients.push(client);
  return client;
}

let nextId = 0;
/** A fresh request id, to find a call's attempts in {@link seen}. */
function newId(): string {
  return `it-${++nextId}`;
}

function attemptsOf(id: string): SeenCall[] {
  return seen.get(id) ?? [];
}

async function expectError(promise: Promise<unknown>, code: Code): Promise<ConnectError> {
  try {
    await promise;
  } catch (e) {
    const error = ConnectError.from(e);
    expect(`${Code[error.code]}: ${error.rawMessage}`).toMatch(new RegExp(`^${Code[code]}: `));
    return error;
  }
  throw new Error(`expected ${Code[code]}, but the call succeeded`);
}

async function drain<T>(iterable: AsyncIterable<T>, into: T[] = []): Promise<T[]> {
  for await (const item of iterable) into.push(item);
  return into;
}

async function* requests(...greetings: string[]) {
  for (const greeting of greetings) yield { greeting };
}

/** The timeout a call attempt carried to the server, in ms (gRPC's or Connect's header). */
function timeoutSent(call: SeenCall | undefined): number | undefined {
  const grpc = call?.header.get("grpc-timeout");
  if (grpc) {
    const match = /^(\d+)([HMSmun])$/.exec(grpc);
    const unit = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 1e-3, n: 1e-6 }[match?.[2] as "m"];
    return Number(match?.[1]) * unit;
  }
  const connect = call?.header.get("connect-timeout-ms");
  return connect ? Number(connect) : undefined;
}

/** A port on 127.0.0.1 that nothing listens on (just released). */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Retries fast enough for tests: attempts until the deadline, 10–50 ms apart at most. */
const fastRetry = { maxAttempts: Number.POSITIVE_INFINITY, initialBackoffMs: 10, maxBackoffMs: 50 };

// ---------------------------------------------------------------------------------------

describe.each(variants)("$name", (variant) => {
  let client: HelloClient;
  beforeAll(() => {
    client = newClient({ ...variant.options, retry: fastRetry });
  });

  describe("every method", () => {
    it("sayHello() answers", async () => {
      expect((await client.sayHello({ greeting: "unary" })).reply).toBe("Hello, unary!");
    });

    it("lotsOfReplies() streams every reply", async () => {
      const replies = await drain(client.lotsOfReplies({ greeting: "s", replyCount: 3 }));
      expect(replies.map((r) => r.reply)).toEqual(["Hello, s! (reply 1 of 3)", "Hello, s! (reply 2 of 3)", "Hello, s! (reply 3 of 3)"]);
    });

    it("lotsOfGreetings() answers the whole stream", async () => {
      expect((await client.lotsOfGreetings(requests("a", "b", "c"))).reply).toBe("Hello, a, b, c!");
    });

    if (variant.http2) {
      it("bidiHello() answers each greeting", async () => {
        const replies = await drain(client.bidiHello(requests("ping", "pong")));
        expect(replies.map((r) => r.reply)).toEqual(["Hello, ping!", "Hello, pong!"]);
      });
    } else {
      it("bidiHello() fails early with UNIMPLEMENTED saying it needs HTTP/2", async () => {
        const error = await expectError(drain(client.bidiHello(requests("ping"))), Code.Unimplemented);
        expect(error.rawMessage).toContain("needs HTTP/2");
      });
    }
  });

  describe("deadlines and cancellation", () => {
    it("a call's timeoutMs ends it with DEADLINE_EXCEEDED and reaches the server", async () => {
      const id = newId();
      const started = Date.now();
      const replies: unknown[] = [];
      await expectError(
        drain(
          client.lotsOfReplies(
            { greeting: "slow", replyCount: 5, replyInterval: durationFromMs(1_000) },
            { timeoutMs: 300, headers: { [REQUEST_ID_HEADER]: id } },
          ),
          replies,
        ),
        Code.DeadlineExceeded,
      );
      expect(replies).toHaveLength(1);
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(timeoutSent(attemptsOf(id)[0])).toBeLessThanOrEqual(300);
    });

    it("the client's default timeout applies to calls without their own", async () => {
      const slowClient = newClient({ ...variant.options, timeoutMs: 250 });
      const id = newId();
      await expectError(
        drain(
          slowClient.lotsOfReplies(
            { greeting: "slow", replyCount: 5, replyInterval: durationFromMs(1_000) },
            { headers: { [REQUEST_ID_HEADER]: id } },
          ),
        ),
        Code.DeadlineExceeded,
      );
      expect(timeoutSent(attemptsOf(id)[0])).toBeLessThanOrEqual(250);
    });

    it("an AbortSignal cancels a stream with CANCELED", async () => {
      const controller = new AbortController();
      const replies: unknown[] = [];
      const stream = client.lotsOfReplies(
        { greeting: "cancel me", replyCount: 5, replyInterval: durationFromMs(1_000) },
        { signal: controller.signal },
      );
      await expectError(
        (async () => {
          for await (const reply of stream) {
            replies.push(reply);
            controller.abort();
          }
        })(),
        Code.Canceled,
      );
      expect(replies).toHaveLength(1);
    });

    it("an aborted AbortSignal fails a unary call with CANCELED", async () => {
      await expectError(client.sayHello({ greeting: "never" }, { signal: AbortSignal.abort() }), Code.Canceled);
    });
  });

  describe("metadata", () => {
    it("sends a request id with every call, and the server answers with it", async () => {
      let answered: string | undefined;
      const ids = newClient({ ...variant.options, requestId: () => "fixed-id-42" });
      await ids.sayHello({ greeting: "id" }, { onHeader: (h) => (answered = requestIdOf(h)) });
      expect(answered).toBe("fixed-id-42");
      expect(attemptsOf("fixed-id-42").length).toBeGreaterThan(0);
    });

    it("finds the request id of a failed call in its error", async () => {
      const id = newId();
      const error = await expectError(client.sayHello({ greeting: "" }, { headers: { [REQUEST_ID_HEADER]: id } }), Code.InvalidArgument);
      expect(requestIdOf(error)).toBe(id);
    });

    it("sends the bearer token of the options, or the call's own", async () => {
      let refreshed = 0;
      const authed = newClient({ ...variant.options, token: () => `tok-${++refreshed}` });
      const first = newId();
      const second = newId();
      const own = newId();
      await authed.sayHello({ greeting: "a" }, { headers: { [REQUEST_ID_HEADER]: first } });
      await authed.sayHello({ greeting: "b" }, { headers: { [REQUEST_ID_HEADER]: second } });
      await authed.sayHello({ greeting: "c" }, { headers: createCallHeaders({ requestId: own, token: "per-call.token" }) });
      expect(attemptsOf(first)[0]?.header.get("authorization")).toBe("Bearer tok-1");
      expect(attemptsOf(second)[0]?.header.get("authorization")).toBe("Bearer tok-2");
      expect(attemptsOf(own)[0]?.header.get("authorization")).toBe("Bearer per-call.token");
    });

    it("round-trips binary (-bin) and ASCII metadata through the server's echo", async () => {
      const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
      let echoed: Headers | undefined;
      await client.sayHello(
        { greeting: "bin" },
        {
          headers: createCallHeaders({ ascii: { "x-echo-tenant": "acme" }, binary: { "x-echo-blob-bin": bytes } }),
          onHeader: (h) => (echoed = h),
        },
      );
      expect(echoed?.get("x-echo-tenant")).toBe("acme");
      expect(binaryHeaderValues(echoed ?? new Headers(), "x-echo-blob-bin")).toEqual([bytes]);
    });

    it("refuses a reserved grpc- key in a call's headers, naming it, before sending", async () => {
      const id = newId();
      const error = await expectError(
        client.sayHello({ greeting: "x" }, { headers: { [REQUEST_ID_HEADER]: id, "grpc-status": "0" } }),
        Code.InvalidArgument,
      );
      expect(error.rawMessage).toContain('"grpc-status"');
      const streamError = await expectError(
        drain(client.lotsOfReplies({ greeting: "x" }, { headers: { "grpc-timeout": "1S" } })),
        Code.InvalidArgument,
      );
      expect(streamError.rawMessage).toContain('"grpc-timeout"');
      expect(attemptsOf(id)).toHaveLength(0);
    });

    it("refuses a reserved grpc- key in the client's headers when it is created", () => {
      expect(() => newClient({ ...variant.options, headers: { "grpc-encoding": "gzip" } })).toThrow(
        /metadata key "grpc-encoding" is reserved/,
      );
    });
  });

  describe("errors", () => {
    it("surfaces validation errors as INVALID_ARGUMENT with typed field violations", async () => {
      const error = await expectError(drain(client.lotsOfReplies({ greeting: "hi", replyCount: 5_000 })), Code.InvalidArgument);
      expect(fieldViolationsOf(error)).toEqual([
        expect.objectContaining({ field: "reply_count", rule: "uint32.lte", message: expect.stringContaining("1000") }),
      ]);
      const empty = await expectError(client.sayHello({ greeting: "" }), Code.InvalidArgument);
      expect(fieldViolationsOf(empty)).toEqual([expect.objectContaining({ field: "greeting", rule: "string.min_len" })]);
    });
  });

  describe("compression", () => {
    // Three 1,000-character greetings: the reply is over the server's 1 KiB threshold.
    const big = ["a", "b", "c"].map((c) => c.repeat(1_000));

    it.each(["gzip", "br"] as const)("compresses requests with sendCompression %s and accepts compressed replies", async (encoding) => {
      const compressing = newClient({ ...variant.options, sendCompression: encoding, compressMinBytes: 1 });
      const id = newId();
      let replyEncoding: string | null = null;
      const { reply } = await compressing.lotsOfGreetings(requests(...big), {
        headers: { [REQUEST_ID_HEADER]: id },
        onHeader: (h) => (replyEncoding = h.get(variant.streamEncodingHeader)),
      });
      expect(reply).toHaveLength(3_000 + "Hello, , , !".length);
      expect(attemptsOf(id)[0]?.header.get(variant.streamEncodingHeader)).toBe(encoding);
      expect(replyEncoding).toMatch(/^(gzip|br)$/);
    });

    it("sends and receives uncompressed with the defaults off (acceptCompression: false)", async () => {
      const plain = newClient({ ...variant.options, acceptCompression: false });
      const id = newId();
      let replyEncoding: string | null = "unset";
      await plain.lotsOfGreetings(requests(...big), {
        headers: { [REQUEST_ID_HEADER]: id },
        onHeader: (h) => (replyEncoding = h.get(variant.streamEncodingHeader)),
      });
      expect(attemptsOf(id)[0]?.header.get(variant.streamEncodingHeader) ?? "identity").toBe("identity");
      expect(replyEncoding ?? "identity").toBe("identity");
    });

    it("still reads replies in its own encoding when it compresses with acceptCompression off", async () => {
      const client = newClient({ ...variant.options, acceptCompression: false, sendCompression: "gzip", compressMinBytes: 1 });
      const { reply } = await client.lotsOfGreetings(requests(...big));
      expect(reply).toHaveLength(3_000 + "Hello, , , !".length);
    });
  });

  describe("retries against a flaky server", () => {
    it("retries SayHello (NO_SIDE_EFFECTS) on UNAVAILABLE until it succeeds", async () => {
      const id = newId();
      const { reply } = await client.sayHello(
        { greeting: "again" },
        { timeoutMs: 5_000, headers: { [REQUEST_ID_HEADER]: id, "x-test-fail": "2" } },
      );
      expect(reply).toBe("Hello, again!");
      const attempts = attemptsOf(id);
      expect(attempts.map((a) => a.header.get(PREVIOUS_ATTEMPTS_HEADER))).toEqual([null, "1", "2"]);
      // Each attempt carries the time left, never more than the one before.
      const timeouts = attempts.map(timeoutSent);
      expect(timeouts[0]).toBeLessThanOrEqual(5_000);
      expect(timeouts[1]).toBeLessThanOrEqual(timeouts[0] ?? 0);
      expect(timeouts[2]).toBeLessThanOrEqual(timeouts[1] ?? 0);
    });

    it("retries LotsOfReplies when it fails before the first message", async () => {
      const id = newId();
      const replies = await drain(
        client.lotsOfReplies({ greeting: "r", replyCount: 2 }, { headers: { [REQUEST_ID_HEADER]: id, "x-test-fail": "1" } }),
      );
      expect(replies).toHaveLength(2);
      expect(attemptsOf(id)).toHaveLength(2);
    });

    it("does not retry LotsOfReplies once a message has arrived", async () => {
      const id = newId();
      const replies: unknown[] = [];
      await expectError(
        drain(
          client.lotsOfReplies({ greeting: "r", replyCount: 3 }, { headers: { [REQUEST_ID_HEADER]: id, "x-test-fail-after-first": "1" } }),
          replies,
        ),
        Code.Unavailable,
      );
      expect(replies).toHaveLength(1);
      expect(attemptsOf(id)).toHaveLength(1);
    });

    it("does not retry LotsOfGreetings, which is not declared idempotent", async () => {
      const id = newId();
      await expectError(
        client.lotsOfGreetings(requests("a"), { headers: { [REQUEST_ID_HEADER]: id, "x-test-fail": "1" } }),
        Code.Unavailable,
      );
      expect(attemptsOf(id)).toHaveLength(1);
    });

    it("retries RESOURCE_EXHAUSTED only with a pushback hint, waiting as long as it says", async () => {
      const hinted = newId();
      const started = Date.now();
      await client.sayHello(
        { greeting: "busy" },
        {
          headers: {
            [REQUEST_ID_HEADER]: hinted,
            "x-test-fail": "1",
            "x-test-fail-code": "resource_exhausted",
            "x-test-pushback": "120",
          },
        },
      );
      const [first, second] = attemptsOf(hinted);
      expect(second).toBeDefined();
      expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(110);
      expect(Date.now() - started).toBeGreaterThanOrEqual(110);

      const unhinted = newId();
      await expectError(
        client.sayHello(
          { greeting: "busy" },
          { headers: { [REQUEST_ID_HEADER]: unhinted, "x-test-fail": "1", "x-test-fail-code": "resource_exhausted" } },
        ),
        Code.ResourceExhausted,
      );
      expect(attemptsOf(unhinted)).toHaveLength(1);
    });

    it("does not retry when the server's pushback says not to (a negative value)", async () => {
      const id = newId();
      await expectError(
        client.sayHello({ greeting: "no" }, { headers: { [REQUEST_ID_HEADER]: id, "x-test-fail": "1", "x-test-pushback": "-1" } }),
        Code.Unavailable,
      );
      expect(attemptsOf(id)).toHaveLength(1);
    });

    it("stops retrying at the call's deadline, with the last error", async () => {
      const id = newId();
      const started = Date.now();
      const error = await client
        .sayHello({ greeting: "never" }, { timeoutMs: 400, headers: { [REQUEST_ID_HEADER]: id, "x-test-fail": "1000" } })
        .then(
          () => undefined,
          (e: unknown) => ConnectError.from(e),
        );
      // UNAVAILABLE when the next delay would have passed the deadline; DEADLINE_EXCEEDED
      // when the deadline passed during the last attempt, which began just before it.
      expect([Code.Unavailable, Code.DeadlineExceeded]).toContain(error?.code);
      const elapsed = Date.now() - started;
      // It kept going until the next delay (under 50 ms) would have passed the deadline, and
      // stopped there (the upper bound allows for a busy machine, where timers fire late).
      expect(elapsed).toBeGreaterThanOrEqual(400 - 50 - 20);
      expect(elapsed).toBeLessThan(400 + 400);
      const attempts = attemptsOf(id);
      expect(attempts.length).toBeGreaterThan(3);
      // Each attempt carried the time left: positive, and less than the attempt before.
      const timeouts = attempts.map(timeoutSent);
      timeouts.forEach((timeout, i) => {
        expect(timeout).toBeGreaterThan(0);
        expect(timeout).toBeLessThanOrEqual(i === 0 ? 400 : (timeouts[i - 1] ?? 0));
      });
    });

    it("stops retrying after maxAttempts", async () => {
      const three = newClient({ ...variant.options, retry: { maxAttempts: 3, initialBackoffMs: 5 } });
      const id = newId();
      await expectError(three.sayHello({ greeting: "x" }, { headers: { [REQUEST_ID_HEADER]: id, "x-test-fail": "10" } }), Code.Unavailable);
      expect(attemptsOf(id)).toHaveLength(3);
    });

    it("makes one attempt with retry: false, or when a call turns retries off", async () => {
      const off = newClient({ ...variant.options, retry: false });
      const id = newId();
      await expectError(off.sayHello({ greeting: "x" }, { headers: { [REQUEST_ID_HEADER]: id, "x-test-fail": "1" } }), Code.Unavailable);
      expect(attemptsOf(id)).toHaveLength(1);

      const perCall = newId();
      await expectError(
        client.sayHello(
          { greeting: "x" },
          {
            headers: { [REQUEST_ID_HEADER]: perCall, "x-test-fail": "1" },
            contextValues: createContextValues().set(retryOptionsKey, false),
          },
        ),
        Code.Unavailable,
      );
      expect(attemptsOf(perCall)).toHaveLength(1);
    });

    it("stops waiting to retry when the call is cancelled", async () => {
      const patient = newClient({ ...variant.options, retry: { initialBackoffMs: 5_000 } });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const started = Date.now();
      await expectError(
        patient.sayHello({ greeting: "x" }, { signal: controller.signal, headers: { "x-test-fail": "1000" } }),
        Code.Canceled,
      );
      expect(Date.now() - started).toBeLessThan(1_000);
    });
  });
});

describe("retries without a server", () => {
  // Here, in jest's realm, Node's ECONNREFUSED is not `instanceof Error`, so connect-node
  // reports INTERNAL: the client's normalizeTransportErrors reads the code and makes it
  // UNAVAILABLE, which the retry interceptor (outside it) retries.
  it("gRPC (HTTP/2) in jest's realm: a refused connection is UNAVAILABLE, retried until the deadline", async () => {
    const baseUrl = `http://127.0.0.1:${await closedPort()}`;
    const client = newClient({ protocol: "grpc", timeoutMs: 500, retry: { ...fastRetry, maxAttempts: 1_000 } }, baseUrl);
    const states: ChannelState[] = [];
    client.channel?.onStateChange((state) => states.push(state));
    const started = Date.now();
    let error: ConnectError | undefined;
    try {
      await client.sayHello({ greeting: "anyone?" });
    } catch (e) {
      error = ConnectError.from(e);
    }
    const elapsedMs = Date.now() - started;
    // UNAVAILABLE (the last refusal) when the next delay would have passed the deadline;
    // DEADLINE_EXCEEDED when the deadline passed during the last attempt.
    expect(["Unavailable", "DeadlineExceeded"]).toContain(Code[error?.code ?? Code.Unknown]);
    if (error?.code === Code.Unavailable) {
      expect(error.rawMessage).toMatch(/^connection refused \(ECONNREFUSED\): .*ECONNREFUSED/);
    }
    expect(elapsedMs).toBeGreaterThanOrEqual(500 - 50 - 20);
    // Every attempt opened a new connection, which was refused; fewer than maxAttempts.
    const connecting = states.filter((s) => s === "connecting").length;
    expect(connecting).toBeGreaterThan(3);
    expect(connecting).toBeLessThan(1_000);

    // Without retries, the same call fails after one attempt, with UNAVAILABLE.
    const once = newClient({ protocol: "grpc", timeoutMs: 500, retry: false }, baseUrl);
    const onceStates: ChannelState[] = [];
    once.channel?.onStateChange((state) => onceStates.push(state));
    const onceError = await expectError(once.sayHello({ greeting: "anyone?" }), Code.Unavailable);
    expect(onceError.rawMessage).toContain("ECONNREFUSED");
    expect(onceStates).toEqual(["connecting", "error"]);
  });

  // In a child process: the realm production code runs in (see test-support/call-once.ts).
  it.each([
    ["gRPC (HTTP/2)", { protocol: "grpc" }],
    ["Connect over HTTP/1.1", { protocol: "connect", httpVersion: "1.1" }],
  ] as const)("%s: retries a refused connection with UNAVAILABLE until the deadline", async (_, options) => {
    const baseUrl = `http://127.0.0.1:${await closedPort()}`;
    const retried = await callOnce({ baseUrl, ...options, timeoutMs: 500, retry: { ...fastRetry, maxAttempts: 1_000 } });
    // UNAVAILABLE (the last refusal) when the next delay would have passed the deadline;
    // DEADLINE_EXCEEDED when the deadline passed during the last attempt.
    if (retried.code !== "DeadlineExceeded") {
      expect(retried).toMatchObject({ code: "Unavailable", message: expect.stringContaining("ECONNREFUSED") });
    }
    // It kept trying until the next delay (under 50 ms) would have passed the deadline, and
    // stopped there (1,000 attempts would take far longer). The upper bound allows for a
    // busy machine, where timers fire late.
    expect(retried.elapsedMs).toBeGreaterThanOrEqual(500 - 50 - 20);
    expect(retried.connects).toBeGreaterThan(3);
    expect(retried.connects).toBeLessThan(1_000);
    if (options.protocol === "grpc") {
      // Every attempt opened a new connection, which was refused.
      expect(retried.states.filter((s) => s === "connecting").length).toBeGreaterThan(3);
      // After the last refusal the channel is in "error"; when the deadline ended the call
      // instead, it did so during an attempt, possibly while that connection was opening.
      if (retried.code === "DeadlineExceeded") {
        expect(["connecting", "error"]).toContain(retried.channelState);
      } else {
        expect(retried.channelState).toBe("error");
      }
    }

    // Without retries, the same call fails at once.
    const once = await callOnce({ baseUrl, ...options, timeoutMs: 500, retry: false });
    expect(once).toMatchObject({ code: "Unavailable", states: options.protocol === "grpc" ? ["connecting", "error"] : [] });
    expect(once.connects).toBe(1);
  });
});

interface CallOnceResult {
  code: string;
  message: string;
  elapsedMs: number;
  /** TCP connections the client opened. */
  connects: number;
  states: ChannelState[];
  channelState?: ChannelState;
}

/** Runs test-support/call-once.ts in a plain Node process with these client options. */
async function callOnce(options: NodeHelloClientOptions): Promise<CallOnceResult> {
  const packageDir = join(__dirname, "..");
  const child = spawn(
    process.execPath,
    ["--conditions=@hello/source", "--import", "tsx", join(packageDir, "src/test-support/call-once.ts"), JSON.stringify(options)],
    { cwd: packageDir, stdio: ["ignore", "pipe", "pipe"], timeout: 15_000 },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exitCode = await new Promise<number | null>((resolve) => child.once("close", resolve));
  if (exitCode !== 0) throw new Error(`call-once exited with ${exitCode}: ${stderr}`);
  return JSON.parse(stdout) as CallOnceResult;
}

describe("channel", () => {
  it("goes idle → connecting → open with the first call, and back to idle on close()", async () => {
    const client = newClient({ protocol: "grpc" });
    const channel = client.channel;
    if (channel === undefined) throw new Error("an HTTP/2 client has a channel");
    const changes: string[] = [];
    channel.onStateChange((state, previous) => changes.push(`${previous}→${state}`));
    expect(channel.state()).toBe("idle");
    await client.sayHello({ greeting: "channel" });
    expect(channel.state()).toBe("open");
    client.close();
    expect(channel.state()).toBe("idle");
    expect(changes).toEqual(["idle→connecting", "connecting→open", "open→idle"]);
    // A call after close() opens a new connection.
    await client.sayHello({ greeting: "again" });
    expect(channel.state()).toBe("open");
  });

  it("connects on connect(), and waitForState() resolves on the state", async () => {
    const client = newClient({ protocol: "connect" });
    const open = client.channel?.waitForState("open", { timeoutMs: 2_000 });
    expect(await client.channel?.connect()).toBe("open");
    expect(await open).toBe("open");
    await expect(client.channel?.waitForState("error", { timeoutMs: 50 })).rejects.toThrow(
      /channel did not reach error within 50 ms \(it is open\)/,
    );
  });

  it("passes keepalive settings to the connection: it closes when idle for idleConnectionTimeoutMs", async () => {
    const client = newClient({
      protocol: "grpc",
      keepalive: { pingIntervalMs: 50, pingTimeoutMs: 1_000, idleConnectionTimeoutMs: 200 },
    });
    await client.sayHello({ greeting: "keepalive" });
    expect(client.channel?.state()).toBe("open");
    const started = Date.now();
    expect(await client.channel?.waitForState("idle", { timeoutMs: 2_000 })).toBe("idle");
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });

  it("is in error, with the reason, when the server cannot be reached", async () => {
    const client = newClient({ protocol: "grpc" }, `http://127.0.0.1:${await closedPort()}`);
    expect(await client.channel?.connect()).toBe("error");
    // (UNAVAILABLE in Node; jest's realm hides the code from connect, see test-support/call-once.ts.)
    expect(String(client.channel?.error())).toContain("ECONNREFUSED");
  });

  it("is absent over HTTP/1.1", () => {
    expect(newClient({ protocol: "connect", httpVersion: "1.1" }).channel).toBeUndefined();
  });
});

describe("callOptionsFromContext()", () => {
  // A gateway in front of the hello server: its handlers call the server with the options
  // derived from their own context, so the caller's deadline and cancellation reach it.
  let downstream: HelloClient;
  let gateway: ReturnType<typeof createClient<typeof HelloService>>;
  beforeAll(() => {
    // No default deadline of its own: the only one is the caller's, passed on. (With one,
    // connect would keep a cancelled stream's 10 s deadline timer and hold jest open.)
    downstream = newClient({ protocol: "grpc", retry: false, timeoutMs: 0 });
    const transport = createRouterTransport(({ service }) =>
      service(HelloService, {
        sayHello: (req, ctx) => downstream.sayHello(req, callOptionsFromContext(ctx)),
        lotsOfReplies: (req, ctx) => downstream.lotsOfReplies(req, callOptionsFromContext(ctx)),
      }),
    );
    gateway = createClient(HelloService, transport);
  });

  it("passes the remaining time on as the downstream call's timeout", async () => {
    const id = newId();
    const ended = ends.length;
    await expectError(
      drain(
        gateway.lotsOfReplies(
          { greeting: "via gateway", replyCount: 5, replyInterval: durationFromMs(1_000) },
          { timeoutMs: 300, headers: { [REQUEST_ID_HEADER]: id } },
        ),
      ),
      Code.DeadlineExceeded,
    );
    // The downstream server saw a deadline no later than the caller's, and stopped.
    const [call] = [...seen.values()]
      .flat()
      .filter((c) => c.method === "LotsOfReplies")
      .slice(-1);
    expect(timeoutSent(call)).toBeLessThanOrEqual(300);
    await waitFor(() => ends.slice(ended).some((e) => e.method === "LotsOfReplies" && e.end === "aborted"));
  });

  it("passes cancellation on", async () => {
    const controller = new AbortController();
    const ended = ends.length;
    const stream = gateway.lotsOfReplies(
      { greeting: "cancel via gateway", replyCount: 5, replyInterval: durationFromMs(1_000) },
      { signal: controller.signal },
    );
    await expectError(
      (async () => {
        for await (const _ of stream) controller.abort();
      })(),
      Code.Canceled,
    );
    await waitFor(() => ends.slice(ended).some((e) => e.method === "LotsOfReplies" && e.end === "aborted"));
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
