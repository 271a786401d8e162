/**
 * The retry interceptor on connect's in-memory router transport: a HelloService whose
 * handlers fail as each test says, so every decision can be checked without timing luck.
 * The real-socket runs (refused connections, all protocols) are in client.integration.test.ts.
 */
import { Code, ConnectError, createClient, createContextValues, createRouterTransport } from "@connectrpc/connect";
import { HelloService } from "@hello/sdk";
import { createRetryInterceptor, PREVIOUS_ATTEMPTS_HEADER, type RetryInterceptorOptions } from "./create-retry-interceptor.js";
import { retryOptionsKey } from "./retry-policy.js";
import { RETRY_PUSHBACK_HEADER } from "./retry-pushback.js";

/** What the handlers saw of each attempt. */
interface Attempt {
  method: string;
  at: number;
  previous: string | null;
  timeoutMs: number | undefined;
}

/** The handlers fail the first `failures.length` attempts with these errors. */
function setup(failures: ConnectError[], retry: RetryInterceptorOptions | false = {}, defaultTimeoutMs?: number) {
  const attempts: Attempt[] = [];
  const fail = (method: string, ctx: { requestHeader: Headers; timeoutMs(): number | undefined }) => {
    attempts.push({
      method,
      at: Date.now(),
      previous: ctx.requestHeader.get(PREVIOUS_ATTEMPTS_HEADER),
      timeoutMs: ctx.timeoutMs(),
    });
    const failure = failures[attempts.length - 1];
    if (failure) throw failure;
  };
  const transport = createRouterTransport(
    ({ service }) =>
      service(HelloService, {
        sayHello(req, ctx) {
          fail("SayHello", ctx);
          return { reply: `Hello, ${req.greeting}!` };
        },
        async *lotsOfReplies(req, ctx) {
          fail("LotsOfReplies", ctx);
          for (let i = 1; i <= req.replyCount; i++) yield { reply: `${i}` };
        },
        async lotsOfGreetings(reqs, ctx) {
          fail("LotsOfGreetings", ctx);
          for await (const _ of reqs) {
            // drain
          }
          return { reply: "all" };
        },
      }),
    {
      transport: {
        interceptors: [createRetryInterceptor(retry)],
        ...(defaultTimeoutMs !== undefined ? { defaultTimeoutMs } : {}),
      },
    },
  );
  return { client: createClient(HelloService, transport), attempts };
}

const unavailable = (metadata?: Record<string, string>) => new ConnectError("down", Code.Unavailable, metadata);
const fast: RetryInterceptorOptions = { initialBackoffMs: 1, maxBackoffMs: 1, random: () => 0 };

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "OK";
  } catch (e) {
    return Code[ConnectError.from(e).code];
  }
}

async function drain<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe("createRetryInterceptor()", () => {
  it("retries a NO_SIDE_EFFECTS unary method on UNAVAILABLE, counting previous attempts", async () => {
    const { client, attempts } = setup([unavailable(), unavailable()], fast);
    expect((await client.sayHello({ greeting: "x" })).reply).toBe("Hello, x!");
    expect(attempts.map((a) => a.previous)).toEqual([null, "1", "2"]);
  });

  it("waits the backoff of the random source between attempts", async () => {
    // random 0.5: the first retry after 30 ms (half of 60), the second after 60 (half of 120).
    const { client, attempts } = setup([unavailable(), unavailable()], {
      initialBackoffMs: 60,
      multiplier: 2,
      random: () => 0.5,
    });
    await client.sayHello({ greeting: "x" });
    const [a, b, c] = attempts.map((x) => x.at);
    expect((b ?? 0) - (a ?? 0)).toBeGreaterThanOrEqual(29);
    expect((c ?? 0) - (b ?? 0)).toBeGreaterThanOrEqual(59);
  });

  it("gives each attempt the time that is left", async () => {
    const { client, attempts } = setup([unavailable(), unavailable()], { initialBackoffMs: 40, random: () => 0.99 });
    await client.sayHello({ greeting: "x" }, { timeoutMs: 2_000 });
    const [first, second, third] = attempts.map((a) => a.timeoutMs ?? Number.NaN);
    expect(first).toBeLessThanOrEqual(2_000);
    expect(second).toBeLessThanOrEqual((first ?? 0) - 30);
    expect(third).toBeLessThanOrEqual((second ?? 0) - 30);
  });

  it("stops after maxAttempts with the last error", async () => {
    const { client, attempts } = setup([unavailable(), unavailable(), unavailable()], { ...fast, maxAttempts: 2 });
    expect(await codeOf(client.sayHello({ greeting: "x" }))).toBe("Unavailable");
    expect(attempts).toHaveLength(2);
  });

  it("does not retry other codes", async () => {
    const { client, attempts } = setup([new ConnectError("bug", Code.Internal)], fast);
    expect(await codeOf(client.sayHello({ greeting: "x" }))).toBe("Internal");
    expect(attempts).toHaveLength(1);
  });

  it("retries RESOURCE_EXHAUSTED only with a pushback, and waits what it says", async () => {
    const hinted = setup([new ConnectError("busy", Code.ResourceExhausted, { [RETRY_PUSHBACK_HEADER]: "80" })], fast);
    await hinted.client.sayHello({ greeting: "x" });
    expect(hinted.attempts).toHaveLength(2);
    expect((hinted.attempts[1]?.at ?? 0) - (hinted.attempts[0]?.at ?? 0)).toBeGreaterThanOrEqual(79);

    const plain = setup([new ConnectError("busy", Code.ResourceExhausted)], fast);
    expect(await codeOf(plain.client.sayHello({ greeting: "x" }))).toBe("ResourceExhausted");
    expect(plain.attempts).toHaveLength(1);
  });

  it("does not retry when the pushback is not a non-negative integer", async () => {
    const { client, attempts } = setup([unavailable({ [RETRY_PUSHBACK_HEADER]: "-5" })], fast);
    expect(await codeOf(client.sayHello({ greeting: "x" }))).toBe("Unavailable");
    expect(attempts).toHaveLength(1);
  });

  it("fails at once, instead of sleeping past the deadline, when the next delay would end after it", async () => {
    const { client, attempts } = setup([unavailable(), unavailable()], { initialBackoffMs: 1_000, random: () => 0.9 });
    const started = Date.now();
    expect(await codeOf(client.sayHello({ greeting: "x" }, { timeoutMs: 300 }))).toBe("Unavailable");
    expect(Date.now() - started).toBeLessThan(200);
    expect(attempts).toHaveLength(1);
  });

  it("retries a server stream that fails before its first message, and replays the request", async () => {
    const { client, attempts } = setup([unavailable()], fast);
    const replies = await drain(client.lotsOfReplies({ greeting: "x", replyCount: 2 }));
    expect(replies.map((r) => r.reply)).toEqual(["1", "2"]);
    expect(attempts).toHaveLength(2);
  });

  it("passes on an empty server stream", async () => {
    const { client } = setup([unavailable()], fast);
    expect(await drain(client.lotsOfReplies({ greeting: "x", replyCount: 0 }))).toEqual([]);
  });

  it("never retries a client stream (LotsOfGreetings is not declared idempotent)", async () => {
    const { client, attempts } = setup([unavailable()], fast);
    async function* one() {
      yield { greeting: "a" };
    }
    expect(await codeOf(client.lotsOfGreetings(one()))).toBe("Unavailable");
    expect(attempts).toHaveLength(1);
  });

  it("makes one attempt when created with false, unless a call turns retries on", async () => {
    const off = setup([unavailable()], false);
    expect(await codeOf(off.client.sayHello({ greeting: "x" }))).toBe("Unavailable");
    expect(off.attempts).toHaveLength(1);

    const on = setup([unavailable()], false);
    const contextValues = createContextValues().set(retryOptionsKey, { initialBackoffMs: 1 });
    expect(await codeOf(on.client.sayHello({ greeting: "x" }, { contextValues }))).toBe("OK");
    expect(on.attempts).toHaveLength(2);
  });

  it("lets a call turn retries off", async () => {
    const { client, attempts } = setup([unavailable()], fast);
    const contextValues = createContextValues().set(retryOptionsKey, false);
    expect(await codeOf(client.sayHello({ greeting: "x" }, { contextValues }))).toBe("Unavailable");
    expect(attempts).toHaveLength(1);
  });

  it("stops waiting when the call is cancelled", async () => {
    const { client } = setup([unavailable()], { initialBackoffMs: 10_000, random: () => 0.99 });
    const started = Date.now();
    expect(await codeOf(client.sayHello({ greeting: "x" }, { signal: AbortSignal.timeout(50) }))).toBe("Canceled");
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("checks the policy when it is created", () => {
    expect(() => createRetryInterceptor({ maxAttempts: 0 })).toThrow(/retry.maxAttempts/);
  });
});
