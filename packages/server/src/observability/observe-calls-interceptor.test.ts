import { setTimeout as sleep } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createContextValues, createRouterTransport, type ConnectRouter } from "@connectrpc/connect";
import { createAsyncIterable } from "@connectrpc/connect/protocol";
import { createValidateInterceptor } from "@connectrpc/validate";
import { type HelloResponse, HelloRequestSchema, HelloResponseSchema, HelloService } from "@hello/sdk";
import { createErrorBoundaryInterceptor } from "../interceptors/error-boundary.js";
import { createObserveCallsInterceptor } from "./observe-calls-interceptor.js";
import type { ObservedCall } from "./observed-call.js";

/** An in-memory server with the interceptors in the server's order: observe, error boundary, validate. */
function setup(routes: (router: ConnectRouter) => void) {
  const started: ObservedCall[] = [];
  const ended: ObservedCall[] = [];
  const transport = createRouterTransport(routes, {
    router: {
      interceptors: [
        createObserveCallsInterceptor([{ callStarted: (c) => started.push(c), callEnded: (c) => ended.push(c) }]),
        createErrorBoundaryInterceptor({ onUnexpectedError: () => {} }),
        createValidateInterceptor(),
      ],
    },
  });
  return { client: createClient(HelloService, transport), started, ended };
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await sleep(5);
  expect(condition()).toBe(true);
}

async function* messages(...greetings: string[]) {
  for (const greeting of greetings) yield { greeting };
}

describe("createObserveCallsInterceptor()", () => {
  it("sees a unary call start and end OK, with its method, protocol, duration and messages", async () => {
    const { client, started, ended } = setup((r) =>
      r.service(HelloService, {
        async sayHello(req) {
          await sleep(20);
          return { reply: `Hello, ${req.greeting}!` };
        },
      }),
    );
    await client.sayHello({ greeting: "x" });
    expect(started).toHaveLength(1);
    expect(ended).toEqual([started[0]]);
    const call = ended[0]!;
    expect(call.method).toBe(HelloService.method.sayHello);
    expect(call.protocol).toBe("connect"); // the in-memory transport speaks Connect
    expect(call.code).toBe(0);
    expect(call.error).toBeUndefined();
    expect(call.durationMs).toBeGreaterThanOrEqual(15);
    expect(call.durationMs).toBeLessThan(5_000);
    expect([call.messagesReceived, call.messagesSent]).toEqual([1, 1]);
  });

  it("records the code the client gets: INVALID_ARGUMENT from validation, INTERNAL for a bug", async () => {
    const { client, ended } = setup((r) =>
      r.service(HelloService, {
        sayHello(req) {
          if (req.greeting === "bug") throw new Error("oops");
          return { reply: "hi" };
        },
      }),
    );
    expect((await failure(client.sayHello({ greeting: "" })))?.code).toBe(Code.InvalidArgument);
    expect((await failure(client.sayHello({ greeting: "bug" })))?.code).toBe(Code.Internal);
    expect(ended.map((c) => [c.code, c.messagesSent])).toEqual([
      [Code.InvalidArgument, 0],
      [Code.Internal, 0],
    ]);
    expect(ended[1]?.error?.rawMessage).toBe("internal error"); // what the client saw, not the bug
  });

  it("ends a server stream when its last message has gone, counting them", async () => {
    const { client, ended } = setup((r) =>
      r.service(HelloService, {
        async *lotsOfReplies(req) {
          for (let i = 0; i < req.replyCount; i++) yield { reply: String(i) };
        },
      }),
    );
    const got: string[] = [];
    for await (const res of client.lotsOfReplies({ greeting: "x", replyCount: 4 })) {
      expect(ended).toHaveLength(0); // still running
      got.push(res.reply);
    }
    expect(got).toHaveLength(4);
    await until(() => ended.length === 1);
    expect([ended[0]?.code, ended[0]?.messagesReceived, ended[0]?.messagesSent]).toEqual([0, 1, 4]);
  });

  it("counts a client stream's messages and ends it with its single reply", async () => {
    const { client, ended } = setup((r) =>
      r.service(HelloService, {
        async lotsOfGreetings(reqs) {
          const all: string[] = [];
          for await (const req of reqs) all.push(req.greeting);
          return { reply: all.join(",") };
        },
      }),
    );
    expect((await client.lotsOfGreetings(messages("a", "b", "c"))).reply).toBe("a,b,c");
    await until(() => ended.length === 1);
    expect([ended[0]?.code, ended[0]?.messagesReceived, ended[0]?.messagesSent]).toEqual([0, 3, 1]);
  });

  it("counts both directions of a bidi stream", async () => {
    const { client, ended } = setup((r) =>
      r.service(HelloService, {
        async *bidiHello(reqs) {
          for await (const req of reqs) yield { reply: req.greeting };
        },
      }),
    );
    const got: string[] = [];
    for await (const res of client.bidiHello(messages("a", "b"))) got.push(res.reply);
    expect(got).toEqual(["a", "b"]);
    await until(() => ended.length === 1);
    expect([ended[0]?.code, ended[0]?.messagesReceived, ended[0]?.messagesSent]).toEqual([0, 2, 2]);
  });

  it("ends a stream that fails midway with its error's code", async () => {
    const { client, ended } = setup((r) =>
      r.service(HelloService, {
        async *lotsOfReplies() {
          yield { reply: "1" };
          throw new ConnectError("gone", Code.NotFound);
        },
      }),
    );
    const err = await failure(
      (async () => {
        for await (const _ of client.lotsOfReplies({ greeting: "x" }));
      })(),
    );
    expect(err?.code).toBe(Code.NotFound);
    await until(() => ended.length === 1);
    expect([ended[0]?.code, ended[0]?.messagesSent, ended[0]?.error?.rawMessage]).toEqual([Code.NotFound, 1, "gone"]);
  });

  it("ends a stream whose deadline passes with DEADLINE_EXCEEDED, once", async () => {
    const { client, ended } = setup((r) =>
      r.service(HelloService, {
        async *lotsOfReplies(_req, ctx) {
          yield { reply: "1" };
          await sleep(10_000, undefined, { signal: ctx.signal });
        },
      }),
    );
    const err = await failure(
      (async () => {
        for await (const _ of client.lotsOfReplies({ greeting: "x" }, { timeoutMs: 100 }));
      })(),
    );
    expect(err?.code).toBe(Code.DeadlineExceeded);
    await until(() => ended.length === 1);
    expect(ended[0]?.code).toBe(Code.DeadlineExceeded);
    await sleep(50);
    expect(ended).toHaveLength(1);
  });

  // The in-memory transport never tells the server that a client stopped reading, so these
  // drive the interceptor directly, as connect-node does when a client goes away
  // (observability.integration.test.ts checks that over a real socket).
  describe("when the call is abandoned or aborted", () => {
    async function* endless() {
      for (let i = 0; ; i++) yield create(HelloResponseSchema, { reply: String(i) });
    }

    function streamCall(signal: AbortSignal, replies: () => AsyncIterable<HelloResponse> = endless) {
      const ended: ObservedCall[] = [];
      const interceptor = createObserveCallsInterceptor([{ callEnded: (c) => ended.push(c) }]);
      const call = interceptor(async () => ({
        stream: true as const,
        service: HelloService,
        method: HelloService.method.lotsOfReplies,
        header: new Headers(),
        trailer: new Headers(),
        message: replies(),
      }));
      const response = call({
        stream: true,
        service: HelloService,
        method: HelloService.method.lotsOfReplies,
        requestMethod: "POST",
        url: "http://127.0.0.1/hello.v1.HelloService/LotsOfReplies",
        signal,
        header: new Headers({ "content-type": "application/grpc" }),
        contextValues: createContextValues(),
        message: createAsyncIterable([create(HelloRequestSchema, { greeting: "x" })]),
      });
      const messages = async () => {
        const res = await response;
        if (!res.stream) throw new Error("expected a stream");
        return res.message[Symbol.asyncIterator]();
      };
      return { messages, ended };
    }

    it("ends the call CANCELED when the consumer stops", async () => {
      const { messages, ended } = streamCall(new AbortController().signal);
      const stream = await messages();
      await stream.next();
      await stream.next();
      expect(ended).toHaveLength(0);
      await stream.return?.();
      expect(ended).toHaveLength(1);
      expect([ended[0]?.code, ended[0]?.messagesSent, ended[0]?.protocol]).toEqual([Code.Canceled, 2, "grpc"]);
    });

    it("takes the code from the call's abort reason, and ends it even before the first message", async () => {
      const abort = new AbortController();
      abort.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded));
      const { messages, ended } = streamCall(abort.signal);
      await (await messages()).return?.();
      expect([ended[0]?.code, ended[0]?.messagesSent]).toEqual([Code.DeadlineExceeded, 0]);
    });

    it("reports the abort reason for a stream that stops quietly once its call is aborted", async () => {
      const abort = new AbortController();
      const { messages, ended } = streamCall(abort.signal, async function* () {
        yield create(HelloResponseSchema, { reply: "1" });
        abort.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded));
        // …and the handler returns instead of throwing, as the greeter does.
      });
      const stream = await messages();
      while ((await stream.next()).done !== true);
      expect([ended[0]?.code, ended[0]?.messagesSent]).toEqual([Code.DeadlineExceeded, 1]);
    });
  });
});
