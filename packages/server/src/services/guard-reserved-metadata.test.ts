import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { HelloService } from "@hello/sdk";
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
