import { createClient } from "@hello/client";
import { HelloService } from "@hello/sdk";
import { GREETING } from "../workloads.js";
import type { ClientDriver } from "./client-driver.js";

/** The SDK as users get it: the generic factory with its defaults (retries, request ids, deadline, OTel no-op). */
export const label = "@hello/client createClient (defaults)";

const expected = `Hello, ${GREETING}!`;
const request = { greeting: GREETING };

async function* greetings(count: number) {
  for (let i = 0; i < count; i++) yield request;
}

export function createDriver(url: string): ClientDriver {
  const client = createClient(HelloService, { baseUrl: url, protocol: "grpc" });
  return {
    async sayHello() {
      const { reply } = await client.sayHello(request);
      if (reply !== expected) throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
    },
    async lotsOfReplies(replies) {
      let received = 0;
      for await (const _ of client.lotsOfReplies({ greeting: GREETING, replyCount: replies })) received++;
      return received;
    },
    async lotsOfGreetings(count) {
      const { reply } = await client.lotsOfGreetings(greetings(count));
      if (reply !== `Hello, ${Array.from({ length: count }, () => GREETING).join(", ")}!`) {
        throw new Error(`unexpected reply of ${reply.length} characters`);
      }
    },
    async bidiHello(count) {
      let received = 0;
      for await (const { reply } of client.bidiHello(greetings(count))) {
        if (reply !== expected) throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
        received++;
      }
      return received;
    },
    async openStream(shape) {
      const abort = new AbortController();
      let release = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      // The request side stays open until the call is ended.
      async function* oneGreeting() {
        yield request;
        await released;
      }
      const replies =
        shape === "bidi"
          ? client.bidiHello(oneGreeting(), { timeoutMs: 60_000 })
          : client.lotsOfReplies(
              { greeting: GREETING, replyCount: 2, replyInterval: { seconds: 10n } },
              { signal: abort.signal, timeoutMs: 60_000 },
            );
      const iterator = replies[Symbol.asyncIterator]();
      const first = await iterator.next();
      if (first.done) throw new Error("the stream ended before its first reply");
      return async () => {
        if (shape === "server-stream") abort.abort();
        release();
        try {
          while (!(await iterator.next()).done);
        } catch {
          // The cancelled server stream ends with Canceled: expected.
        }
      };
    },
    close: () => client.close(),
  };
}
