import type { ServiceImpl } from "@connectrpc/connect";
import { durationMs } from "@bufbuild/protobuf/wkt";
import type { HelloRequest, HelloService } from "@hello/sdk";
import { callScopeOf } from "../call-scope.js";
import type { Greeter } from "../hello/greeter.js";
import { echoMetadata } from "./echo-metadata.js";
import { MappedStream } from "./mapped-stream.js";

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

    // Streams as MappedStream, not `async *`: see there. The body runs on the first read.
    lotsOfReplies(req, ctx) {
      return new MappedStream(
        () => {
          echoMetadata(ctx);
          const plan = {
            greeting: req.greeting,
            count: req.replyCount,
            intervalMs: req.replyInterval ? durationMs(req.replyInterval) : 0,
          };
          return greeter.lotsOfReplies(plan, callScopeOf(ctx));
        },
        replyOf,
        (count) => ctx.responseTrailer.set(REPLY_COUNT_TRAILER, String(count)),
      );
    },

    async lotsOfGreetings(reqs, ctx) {
      echoMetadata(ctx);
      const reply = await greeter.lotsOfGreetings(greetingsOf(reqs), callScopeOf(ctx));
      ctx.responseTrailer.set(REPLY_COUNT_TRAILER, "1");
      return { reply };
    },

    bidiHello(reqs, ctx) {
      return new MappedStream(
        () => {
          echoMetadata(ctx);
          return greeter.bidiHello(greetingsOf(reqs), callScopeOf(ctx));
        },
        replyOf,
        (count) => ctx.responseTrailer.set(REPLY_COUNT_TRAILER, String(count)),
      );
    },
  };
}

function replyOf(reply: string): { reply: string } {
  return { reply };
}

function greetingOf(req: HelloRequest): string {
  return req.greeting;
}

function greetingsOf(reqs: AsyncIterable<HelloRequest>): AsyncIterable<string> {
  return new MappedStream(() => reqs, greetingOf);
}
