import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { createValidateInterceptor } from "@connectrpc/validate";
import { HelloRequestSchema, HelloService } from "@hello/sdk";
import { createGreeter } from "../hello/greeter.js";
import { createRoutes } from "../routes.js";

// In-memory: the real routes and handlers behind connect's router transport, no sockets.
function client(sleep?: (ms: number) => Promise<void>) {
  const greeter = createGreeter(sleep ? { sleep } : {});
  return createClient(
    HelloService,
    createRouterTransport(createRoutes({ greeter }), { router: { interceptors: [createValidateInterceptor()] } }),
  );
}

async function* from(greetings: string[]) {
  for (const greeting of greetings) yield create(HelloRequestSchema, { greeting });
}

describe("HelloService handlers", () => {
  it("sayHello() translates the request and sets the reply-count trailer", async () => {
    let trailer: Headers | undefined;
    const res = await client().sayHello({ greeting: "in memory" }, { onTrailer: (t) => (trailer = t) });
    expect(res.reply).toBe("Hello, in memory!");
    expect(trailer?.get("x-reply-count")).toBe("1");
  });

  it("lotsOfReplies() passes reply_count and reply_interval (as milliseconds) to the greeter", async () => {
    const pauses: number[] = [];
    const replies: string[] = [];
    let trailer: Headers | undefined;
    for await (const r of client(async (ms) => void pauses.push(ms)).lotsOfReplies(
      { greeting: "x", replyCount: 3, replyInterval: durationFromMs(1_500) },
      { onTrailer: (t) => (trailer = t) },
    )) {
      replies.push(r.reply);
    }
    expect(replies).toHaveLength(3);
    expect(pauses).toEqual([1_500, 1_500]);
    expect(trailer?.get("x-reply-count")).toBe("3");
  });

  it("lotsOfGreetings() and bidiHello() read the request stream", async () => {
    const c = client();
    expect((await c.lotsOfGreetings(from(["a", "b"]))).reply).toBe("Hello, a, b!");
    const replies: string[] = [];
    for await (const r of c.bidiHello(from(["a", "b"]))) replies.push(r.reply);
    expect(replies).toEqual(["Hello, a!", "Hello, b!"]);
  });

  it("echoes x-echo-* request headers", async () => {
    let header: Headers | undefined;
    await client().sayHello({ greeting: "m" }, { headers: { "x-echo-a": "1", "x-other": "2" }, onHeader: (h) => (header = h) });
    expect(header?.get("x-echo-a")).toBe("1");
    expect(header?.get("x-other")).toBeNull();
  });

  it("rejects an invalid request before the handler runs", async () => {
    await expect(client().sayHello({ greeting: "" })).rejects.toMatchObject({ code: Code.InvalidArgument });
    await expect(client().sayHello({ greeting: "" })).rejects.toBeInstanceOf(ConnectError);
  });
});
