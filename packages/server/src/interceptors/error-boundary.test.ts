import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { HelloService } from "@hello/sdk";
import { createErrorBoundaryInterceptor, INTERNAL_MESSAGE } from "./error-boundary.js";

function setup(impl: Parameters<typeof createRouterTransport>[0]) {
  const reported: unknown[] = [];
  const transport = createRouterTransport(impl, {
    router: { interceptors: [createErrorBoundaryInterceptor({ onUnexpectedError: (e) => reported.push(e) })] },
  });
  return { client: createClient(HelloService, transport), reported };
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );

describe("createErrorBoundaryInterceptor()", () => {
  it("turns a plain exception into INTERNAL with a fixed message, reporting the original", async () => {
    const boom = new Error("db password=hunter2");
    const { client, reported } = setup((r) =>
      r.service(HelloService, {
        sayHello: () => {
          throw boom;
        },
      }),
    );
    const err = await failure(client.sayHello({ greeting: "x" }));
    expect(err?.code).toBe(Code.Internal);
    expect(err?.rawMessage).toBe(INTERNAL_MESSAGE);
    expect(reported).toEqual([boom]);
  });

  it("does the same for an exception in the middle of a stream", async () => {
    const { client, reported } = setup((r) =>
      r.service(HelloService, {
        async *lotsOfReplies() {
          yield { reply: "1" };
          throw new TypeError("undefined is not a function");
        },
      }),
    );
    const got: string[] = [];
    const err = await failure(
      (async () => {
        for await (const m of client.lotsOfReplies({ greeting: "x" })) got.push(m.reply);
      })(),
    );
    expect(got).toEqual(["1"]);
    expect(err?.code).toBe(Code.Internal);
    expect(err?.rawMessage).toBe(INTERNAL_MESSAGE);
    expect(reported).toHaveLength(1);
  });

  it("lets deliberate ConnectErrors through untouched", async () => {
    const { client, reported } = setup((r) =>
      r.service(HelloService, {
        sayHello: () => {
          throw new ConnectError("no such greeting", Code.NotFound);
        },
      }),
    );
    const err = await failure(client.sayHello({ greeting: "x" }));
    expect(err?.code).toBe(Code.NotFound);
    expect(err?.rawMessage).toBe("no such greeting");
    expect(reported).toEqual([]);
  });
});
