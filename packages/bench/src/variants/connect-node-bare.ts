import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { createGreeter, createRoutes } from "@hello/server";
import type { RunningServerVariant, ServerVariantOptions } from "./server-variant.js";

/** Our routes on a bare connect-node adapter: what connect-node itself costs. */
export const label = "our routes on bare connectNodeAdapter";

/**
 * The same routes as the server (`createRoutes`: HelloService with its reserved-metadata
 * guard, health, reflection) on `connectNodeAdapter` defaults and `http2.createServer`:
 * none of `createHelloServer`'s interceptors (observability, error boundary, validation),
 * no request ids, compression offers, CORS, connection manager or HTTP/1.1 sniffing.
 */
export async function start(port: number, { host }: ServerVariantOptions): Promise<RunningServerVariant> {
  const handler = connectNodeAdapter({ routes: createRoutes({ greeter: createGreeter() }) });
  const server = http2.createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
