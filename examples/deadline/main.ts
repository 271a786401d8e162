/**
 * Deadlines: a call that outlives its `timeoutMs` ends with DEADLINE_EXCEEDED, and the
 * server stops working on it. A service that calls another passes its own remaining time
 * on with `callOptionsFromContext(ctx)`, so the downstream call never outlives it.
 */
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { callOptionsFromContext, createHelloClient } from "@hello/client";
import { HelloService } from "@hello/sdk";
import { startOrConnect } from "../shared/hello-server.js";

/** Runs `call` and returns the name of the status code it ended with. */
async function codeOf(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return "OK";
  } catch (e) {
    return Code[ConnectError.from(e).code];
  }
}

const server = await startOrConnect();
const hello = createHelloClient({ baseUrl: server.url, protocol: "grpc" });
try {
  // 1. Ten replies 200 ms apart take 1.8 s; the call allows 500 ms.
  let received = 0;
  const direct = await codeOf(async () => {
    const replies = hello.lotsOfReplies({ greeting: "slow", replyCount: 10, replyInterval: durationFromMs(200) }, { timeoutMs: 500 });
    for await (const { reply } of replies) {
      received++;
      console.log(`reply: ${reply}`);
    }
  });
  console.log(`direct call: ${direct} after ${received} of 10 replies`);

  // 2. A gateway (in memory here) forwards LotsOfReplies to the hello server with the time
  //    its own caller left it. It never sets a timeout of its own.
  let downstream = "";
  let passedOnMs = 0;
  const gateway = createClient(
    HelloService,
    createRouterTransport((router) =>
      router.service(HelloService, {
        async *lotsOfReplies(req, ctx) {
          const options = callOptionsFromContext(ctx);
          passedOnMs = options.timeoutMs ?? 0;
          try {
            yield* hello.lotsOfReplies(req, options);
          } catch (e) {
            downstream = Code[ConnectError.from(e).code];
            throw e;
          }
        },
      }),
    ),
  );
  const viaGateway = await codeOf(async () => {
    const replies = gateway.lotsOfReplies({ greeting: "slow", replyCount: 10, replyInterval: durationFromMs(200) }, { timeoutMs: 500 });
    for await (const _ of replies);
  });
  console.log(`via gateway: ${viaGateway}; the gateway gave its call ${passedOnMs} ms, which ended ${downstream}`);
  console.log(`OK deadline: ${direct} direct, ${viaGateway} via gateway, downstream ${downstream}`);
} finally {
  hello.close();
  await server.close();
}
