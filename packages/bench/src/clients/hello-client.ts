import { createClient } from "@hello/client";
import { HelloService } from "@hello/sdk";
import { GREETING } from "../workloads.js";
import type { ClientDriver } from "./client-driver.js";

/** The SDK as users get it: the generic factory with its defaults (retries, request ids, deadline, OTel no-op). */
export const label = "@hello/client createClient (defaults)";

const expected = `Hello, ${GREETING}!`;

export function createDriver(url: string): ClientDriver {
  const client = createClient(HelloService, { baseUrl: url, protocol: "grpc" });
  return {
    async sayHello() {
      const { reply } = await client.sayHello({ greeting: GREETING });
      if (reply !== expected) throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
    },
    async lotsOfReplies(replies) {
      let received = 0;
      for await (const _ of client.lotsOfReplies({ greeting: GREETING, replyCount: replies })) received++;
      return received;
    },
    close: () => client.close(),
  };
}
