/**
 * createPromiseClient against connect's own createClient, both on connect's in-memory router
 * transport: the same messages, headers and trailers in the same order, the same errors.
 */
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { HelloService } from "@hello/sdk";
import { createPromiseClient } from "./create-promise-client.js";

const transport = createRouterTransport(({ service }) => {
  service(HelloService, {
    sayHello(req, ctx) {
      if (req.greeting === "fail") throw new ConnectError("no", Code.FailedPrecondition);
      ctx.responseHeader.set("x-h", "1");
      ctx.responseTrailer.set("x-t", "2");
      return { reply: `Hello, ${req.greeting}!` };
    },
    async *lotsOfReplies(req, ctx) {
      ctx.responseHeader.set("x-h", "1");
      ctx.responseTrailer.set("x-t", "2");
      for (let i = 0; i < req.replyCount; i++) yield { reply: `${req.greeting} ${i}` };
      if (req.greeting === "fail") throw new ConnectError("late", Code.DataLoss);
    },
    async lotsOfGreetings(reqs) {
      const greetings: string[] = [];
      for await (const req of reqs) greetings.push(req.greeting);
      return { reply: greetings.join(",") };
    },
    async *bidiHello(reqs) {
      for await (const req of reqs) yield { reply: `Hello, ${req.greeting}!` };
    },
  });
});

const ours = createPromiseClient(HelloService, transport);
const connects = createClient(HelloService, transport);

/** What a caller observes of a streaming call: header and trailer callbacks interleaved with messages, and the error. */
async function observe(iterable: AsyncIterable<{ reply: string }>, seen: string[]): Promise<string[]> {
  try {
    for await (const { reply } of iterable) seen.push(`message ${reply}`);
  } catch (e) {
    seen.push(`error ${ConnectError.from(e).code}`);
  }
  return seen;
}

function callbacks(seen: string[]) {
  return {
    onHeader: (h: Headers) => seen.push(`header ${h.get("x-h")}`),
    onTrailer: (t: Headers) => seen.push(`trailer ${t.get("x-t")}`),
  };
}

describe("createPromiseClient()", () => {
  it("answers a unary call with the message, after onHeader and onTrailer, as connect does", async () => {
    for (const client of [ours, connects]) {
      const seen: string[] = [];
      const { reply } = await client.sayHello({ greeting: "a" }, callbacks(seen));
      expect([...seen, reply]).toEqual(["header 1", "trailer 2", "Hello, a!"]);
    }
  });

  it("rejects a failed unary call with the server's error", async () => {
    await expect(ours.sayHello({ greeting: "fail" })).rejects.toMatchObject({ code: Code.FailedPrecondition });
  });

  it("gives a server stream's messages between onHeader and onTrailer, as connect does", async () => {
    const run = async (client: typeof ours) => {
      const seen: string[] = [];
      return observe(client.lotsOfReplies({ greeting: "s", replyCount: 3 }, callbacks(seen)), seen);
    };
    const expected = ["header 1", "message s 0", "message s 1", "message s 2", "trailer 2"];
    expect(await run(ours)).toEqual(expected);
    expect(await run(connects)).toEqual(expected);
  });

  it("fails a server stream after its messages with the server's error, without onTrailer, then reads as done", async () => {
    const seen: string[] = [];
    const iterable = ours.lotsOfReplies({ greeting: "fail", replyCount: 1 }, callbacks(seen));
    expect(await observe(iterable, seen)).toEqual(["header 1", "message fail 0", `error ${Code.DataLoss}`]);
    const it = iterable[Symbol.asyncIterator]();
    await expect(it.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it("answers reads asked for at once in order, as an async generator does", async () => {
    const it = ours.lotsOfReplies({ greeting: "q", replyCount: 2 })[Symbol.asyncIterator]();
    const results = await Promise.all([it.next(), it.next(), it.next(), it.next()]);
    expect(results.map((r) => (r.done ? "done" : r.value.reply))).toEqual(["q 0", "q 1", "done", "done"]);
  });

  it("offers only next() on a stream's iterator, as connect does", () => {
    const it = ours.lotsOfReplies({ greeting: "x", replyCount: 0 })[Symbol.asyncIterator]();
    expect(Object.keys(it)).toEqual(["next"]);
    expect(Object.keys(connects.lotsOfReplies({ greeting: "x", replyCount: 0 })[Symbol.asyncIterator]())).toEqual(["next"]);
  });

  it("streams both ways and takes client streams through connect's function", async () => {
    async function* greetings() {
      yield { greeting: "a" };
      yield { greeting: "b" };
    }
    const replies: string[] = [];
    for await (const { reply } of ours.bidiHello(greetings())) replies.push(reply);
    expect(replies).toEqual(["Hello, a!", "Hello, b!"]);
    await expect(ours.lotsOfGreetings(greetings())).resolves.toMatchObject({ reply: "a,b" });
  });
});

describe("createPromiseClient() on a transport that throws", () => {
  const throwing = {
    unary() {
      throw new ConnectError("sync", Code.Internal);
    },
    stream() {
      throw new ConnectError("sync", Code.Internal);
    },
  };

  it("rejects a unary call instead of throwing, as connect's async function does", async () => {
    const client = createPromiseClient(HelloService, throwing);
    let call: Promise<unknown> | undefined;
    expect(() => {
      call = client.sayHello({ greeting: "a" });
    }).not.toThrow();
    await expect(call).rejects.toMatchObject({ code: Code.Internal });
  });
});
