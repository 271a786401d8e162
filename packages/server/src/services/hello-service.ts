import type { ServiceImpl } from "@connectrpc/connect";
import { durationMs } from "@bufbuild/protobuf/wkt";
import type { HelloRequest, HelloService } from "@hello/sdk";
import { callScopeOf } from "../call-scope.js";
import type { Greeter } from "../hello/greeter.js";
import { echoMetadata } from "./echo-metadata.js";

/** Trailer that tells how many replies the call produced. */
export const REPLY_COUNT_TRAILER = "x-reply-count";

/**
 * The HelloService handlers: they only translate between messages and the greeter's plain
 * functions. Validation happens before (interceptor, rules in the proto).
 */
export function createHelloService(greeter: Greeter): ServiceImpl<typeof HelloService> {
  return {
    sayHello(req, ctx) {
      echoMetadata(ctx);
      ctx.responseTrailer.set(REPLY_COUNT_TRAILER, "1");
      return { reply: greeter.sayHello(req.greeting) };
    },

    async *lotsOfReplies(req, ctx) {
      echoMetadata(ctx);
      const plan = {
        greeting: req.greeting,
        count: req.replyCount,
        intervalMs: req.replyInterval ? durationMs(req.replyInterval) : 0,
      };
      let count = 0;
      for await (const reply of greeter.lotsOfReplies(plan, callScopeOf(ctx))) {
        count++;
        yield { reply };
      }
      ctx.responseTrailer.set(REPLY_COUNT_TRAILER, String(count));
    },

    async lotsOfGreetings(reqs, ctx) {
      echoMetadata(ctx);
      const reply = await greeter.lotsOfGreetings(greetingsOf(reqs), callScopeOf(ctx));
      ctx.responseTrailer.set(REPLY_COUNT_TRAILER, "1");
      return { reply };
    },

    async *bidiHello(reqs, ctx) {
      echoMetadata(ctx);
      let count = 0;
      for await (const reply of greeter.bidiHello(greetingsOf(reqs), callScopeOf(ctx))) {
        count++;
        yield { reply };
      }
      ctx.responseTrailer.set(REPLY_COUNT_TRAILER, String(count));
    },
  };
}

async function* greetingsOf(reqs: AsyncIterable<HelloRequest>): AsyncIterable<string> {
  for await (const req of reqs) {
    yield req.greeting;
  }
}
