import { Code, ConnectError, createClient, createContextValues, createRouterTransport, type HandlerContext } from "@connectrpc/connect";
import { HelloService } from "@hello/sdk";
import { UnaryCall } from "../fast-path/unary-call.js";
import { peekResponseMetadata } from "../response-metadata-state.js";
import { guardReservedMetadata } from "./guard-reserved-metadata.js";

function clientOf(impl: Parameters<typeof guardReservedMetadata<typeof HelloService>>[1]) {
  return createClient(
    HelloService,
    createRouterTransport((router) => router.service(HelloService, guardReservedMetadata(HelloService, impl))),
  );
}

describe("guardReservedMetadata()", () => {
  it("fails a unary call whose handler sets a grpc- header, naming the key", async () => {
    const client = clientOf({
      sayHello(_req, ctx) {
        ctx.responseHeader.set("grpc-status", "0");
        return { reply: "sneaky" };
      },
    });
    const err = await client.sayHello({ greeting: "x" }).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(err?.code).toBe(Code.Internal);
    expect(err?.rawMessage).toMatch(/reserved response header grpc-status/);
  });

  it("fails a stream whose handler sets a grpc- trailer", async () => {
    const client = clientOf({
      async *lotsOfReplies(_req, ctx) {
        yield { reply: "one" };
        ctx.responseTrailer.set("grpc-message", "forged");
      },
    });
    const got: string[] = [];
    const err = await (async () => {
      for await (const r of client.lotsOfReplies({ greeting: "x" })) got.push(r.reply);
    })().then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(got).toEqual(["one"]);
    expect(err?.code).toBe(Code.Internal);
    expect(err?.rawMessage).toMatch(/reserved response trailer grpc-message/);
  });

  it("lets ordinary metadata through", async () => {
    const client = clientOf({
      sayHello(_req, ctx) {
        ctx.responseHeader.set("x-fine", "yes");
        ctx.responseTrailer.set("x-fine-too", "yes");
        return { reply: "ok" };
      },
    });
    let header: Headers | undefined;
    await client.sayHello({ greeting: "x" }, { onHeader: (h) => (header = h) });
    expect(header?.get("x-fine")).toBe("yes");
  });
});

describe("guardReservedMetadata() on a context that makes its Headers on demand (the fast path's)", () => {
  /** A context as the fast path's calls are: initial values until something asks for Headers. */
  function lazyContext(headerInit: Record<string, string>, trailerInit: Record<string, string> | undefined) {
    let header: Headers | undefined;
    let trailer: Headers | undefined;
    const made: string[] = [];
    const ctx = {
      get responseHeader() {
        made.push("header");
        return (header ??= new Headers(headerInit));
      },
      get responseTrailer() {
        made.push("trailer");
        return (trailer ??= new Headers(trailerInit));
      },
      [peekResponseMetadata](which: "header" | "trailer") {
        return which === "header" ? (header ?? headerInit) : (trailer ?? trailerInit);
      },
    };
    return { ctx: ctx as unknown as HandlerContext, made };
  }
  const INIT = { "content-type": "application/grpc+proto", "grpc-encoding": "gzip" };
  const TRAILER_INIT = { "grpc-status": "0" };
  const run = (handler: (ctx: HandlerContext) => void, trailerInit: Record<string, string> | undefined = TRAILER_INIT) => {
    const { ctx, made } = lazyContext(INIT, trailerInit);
    const guarded = guardReservedMetadata(HelloService, {
      sayHello(_req, c) {
        handler(c);
        return { reply: "ok" };
      },
    });
    const call = () => (guarded.sayHello as (req: unknown, c: HandlerContext) => unknown)({ greeting: "x" }, ctx);
    return { call, made };
  };

  it("makes no Headers when the handler touches none", () => {
    const { call, made } = run(() => {});
    expect(call()).toEqual({ reply: "ok" });
    expect(made).toEqual([]);
  });

  it("lets a handler add its own keys, and remove reserved ones, next to the initial reserved ones", () => {
    expect(run((ctx) => ctx.responseHeader.set("x-mine", "1")).call()).toEqual({ reply: "ok" });
    expect(run((ctx) => ctx.responseTrailer.set("x-mine", "1"), undefined).call()).toEqual({ reply: "ok" });
    expect(run((ctx) => ctx.responseHeader.delete("grpc-encoding")).call()).toEqual({ reply: "ok" });
  });

  it("refuses a changed or added reserved key in headers made during the handler", () => {
    expect(run((ctx) => ctx.responseHeader.set("grpc-encoding", "br")).call).toThrow(/reserved response header grpc-encoding/);
    expect(run((ctx) => ctx.responseTrailer.set("grpc-message", "forged")).call).toThrow(/reserved response trailer grpc-message/);
    expect(run((ctx) => ctx.responseTrailer.set("grpc-status", "1"), undefined).call).toThrow(/reserved response trailer grpc-status/);
  });
});

describe("guardReservedMetadata() on the fast path's calls", () => {
  const TRAILER_INIT = Object.freeze({ "grpc-status": "0" });
  const call = () =>
    new UnaryCall({
      service: HelloService,
      method: HelloService.method.sayHello,
      url: "http://127.0.0.1/hello.v1.HelloService/SayHello",
      protocolName: "grpc",
      contextValues: createContextValues(),
      nodeHeaders: {},
      timeoutMs: undefined,
      shutdownSignal: undefined,
      responseHeaderInit: Object.freeze({ "content-type": "application/grpc+proto" }),
      responseTrailerInit: TRAILER_INIT,
    });
  /** Runs the guarded sayHello with `handler` on a fresh call; returns the call. */
  const run = (handler: (ctx: HandlerContext) => void, before?: (ctx: UnaryCall) => void) => {
    const ctx = call();
    before?.(ctx);
    const guarded = guardReservedMetadata(HelloService, {
      sayHello(_req, c) {
        handler(c);
        return { reply: "ok" };
      },
    });
    expect((guarded.sayHello as (req: unknown, c: HandlerContext) => unknown)({ greeting: "x" }, ctx)).toEqual({ reply: "ok" });
    return ctx;
  };
  const refused = (handler: (ctx: HandlerContext) => void, before?: (ctx: UnaryCall) => void) => () => run(handler, before);

  it("lets a handler add its own trailer next to the initial grpc-status, and remove a reserved one", () => {
    expect(run((ctx) => ctx.responseTrailer.set("x-reply-count", "1")).responseTrailer.get("x-reply-count")).toBe("1");
    expect(run((ctx) => ctx.responseTrailer.delete("grpc-status")).responseTrailer.has("grpc-status")).toBe(false);
    // A reserved key written with the value it already had changes nothing.
    run((ctx) => ctx.responseTrailer.set("grpc-status", "0"));
  });

  it("refuses a reserved key written after the handler's own trailer made the Headers", () => {
    expect(
      refused((ctx) => {
        ctx.responseTrailer.set("x-reply-count", "1");
        ctx.responseTrailer.set("grpc-message", "forged");
      }),
    ).toThrow(/reserved response trailer grpc-message/);
    expect(refused((ctx) => ctx.responseTrailer.append("grpc-status", "1"))).toThrow(/reserved response trailer grpc-status/);
    expect(refused((ctx) => ctx.responseHeader.set("grpc-encoding", "br"))).toThrow(/reserved response header grpc-encoding/);
  });

  it("compares with what an interceptor wrote before the handler", () => {
    const earlier = (ctx: UnaryCall) => ctx.responseTrailer.set("grpc-x", "1");
    // Unchanged since: allowed; changed by the handler: refused.
    run((ctx) => ctx.responseTrailer.set("x-reply-count", "1"), earlier);
    expect(refused((ctx) => ctx.responseTrailer.set("grpc-x", "2"), earlier)).toThrow(/reserved response trailer grpc-x/);
  });
});

describe("guardReservedMetadata() on a streaming handler, as the generator it behaves as", () => {
  const ctxOf = (): HandlerContext => {
    const responseHeader = new Headers();
    const responseTrailer = new Headers();
    return { responseHeader, responseTrailer, values: createContextValues() } as unknown as HandlerContext;
  };
  const guardedReplies = (handler: (ctx: HandlerContext) => AsyncIterable<{ reply: string }>) => {
    const guarded = guardReservedMetadata(HelloService, { lotsOfReplies: (_req, ctx) => handler(ctx) });
    return (ctx: HandlerContext) =>
      (guarded.lotsOfReplies as (req: unknown, ctx: HandlerContext) => AsyncIterable<{ reply: string }>)({}, ctx)[Symbol.asyncIterator]();
  };

  it("runs the handler only on the first next(), and not at all when closed before it", async () => {
    let calls = 0;
    const start = guardedReplies(async function* () {
      calls++;
      yield { reply: "one" };
    });
    const closed = start(ctxOf());
    expect(calls).toBe(0);
    expect(await closed.return?.()).toEqual({ done: true, value: undefined });
    expect(await closed.next()).toEqual({ done: true, value: undefined });
    expect(calls).toBe(0);
    const read = start(ctxOf());
    expect(await read.next()).toEqual({ done: false, value: { reply: "one" } });
    expect(calls).toBe(1);
  });

  it("closes the handler's stream when a reserved header is set before the first message, and stays done", async () => {
    let finallyRan = false;
    const it = guardedReplies(async function* (ctx) {
      try {
        ctx.responseHeader.set("grpc-encoding", "forged");
        yield { reply: "one" };
        yield { reply: "two" };
      } finally {
        finallyRan = true;
      }
    })(ctxOf());
    await expect(it.next()).rejects.toThrow(/reserved response header grpc-encoding/);
    expect(finallyRan).toBe(true);
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  it("closes the handler's stream on return() and throw() after a message", async () => {
    let closed = 0;
    const start = guardedReplies(async function* () {
      try {
        yield { reply: "one" };
        yield { reply: "two" };
      } finally {
        closed++;
      }
    });
    const returned = start(ctxOf());
    await returned.next();
    expect(await returned.return?.("r")).toEqual({ done: true, value: "r" });
    expect(closed).toBe(1);
    const thrown = start(ctxOf());
    await thrown.next();
    await expect(thrown.throw?.(new Error("stop"))).rejects.toThrow("stop");
    expect(closed).toBe(2);
    expect(await thrown.next()).toEqual({ done: true, value: undefined });
  });

  it("awaits a promise the handler's stream hands out, as a generator's yield does", async () => {
    const it = guardedReplies(() => ({
      [Symbol.asyncIterator]: () => ({
        next: async () => ({ done: false, value: Promise.resolve({ reply: "later" }) as unknown as { reply: string } }),
      }),
    }))(ctxOf());
    expect(await it.next()).toEqual({ done: false, value: { reply: "later" } });
  });
});
