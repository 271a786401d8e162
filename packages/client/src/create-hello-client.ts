import { HelloService } from "@hello/sdk";
import { createClient, type ServiceClient } from "./create-client.js";
import type { NodeClientOptions } from "./node-client-options.js";

/** A typed HelloService client that owns its connection. */
export type HelloClient = ServiceClient<typeof HelloService>;

/**
 * Creates a typed HelloService client for Node: `createClient(HelloService, options)`.
 *
 * @example
 * const client = createHelloClient({ baseUrl: "http://127.0.0.1:8080", protocol: "grpc", token });
 * const { reply } = await client.sayHello({ greeting: "hi" }, { timeoutMs: 1_000 });
 * for await (const { reply } of client.lotsOfReplies({ greeting: "hi", replyCount: 3 })) {}
 * client.channel?.state(); // "open"
 * client.close();
 */
export function createHelloClient(options: NodeClientOptions): HelloClient {
  return createClient(HelloService, options);
}
