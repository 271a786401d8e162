import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { createGreeter, createRoutes } from "@hello/server";
import type { RunningServerVariant, ServerVariantOptions } from "./server-variant.js";

/** Our handlers on connect-node with none of the server's extras. */
export const label = "@hello/server routes, extras off";

/**
 * `createHelloServer` has no switch for its extras, so this variant assembles the same
 * routes (`createRoutes`: the HelloService handlers with their reserved-metadata guard)
 * on a bare `connectNodeAdapter` and `http2.createServer`: no request-id handling, no
 * validation or error-boundary interceptor, no compression offers, no CORS check, no
 * HTTP/1.1 sniffing on the port. It shows what connect-node itself costs.
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
