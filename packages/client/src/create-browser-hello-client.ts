import { HelloService } from "@hello/sdk";
import type { ClientOptions } from "./client-options.js";
import { createClient, type ServiceClient } from "./create-browser-client.js";

/** A typed HelloService client; `close()` exists for parity with Node and does nothing. */
export type HelloClient = ServiceClient<typeof HelloService>;

/**
 * Creates a typed HelloService client for browsers: `createClient(HelloService, options)`.
 *
 * @example
 * const client = createHelloClient({ baseUrl: location.origin, protocol: "connect" });
 * const { reply } = await client.sayHello({ greeting: "hi" });
 */
export function createHelloClient(options: ClientOptions): HelloClient {
  return createClient(HelloService, options);
}
