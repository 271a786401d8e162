import { createHelloServer } from "@hello/server";
import type { RunningServerVariant, ServerVariantOptions } from "./server-variant.js";

/** Our server with every extra that has a switch turned off. */
export const label = "@hello/server, extras off (logger and metrics off)";

/**
 * `createHelloServer` with the extras that have an option turned off: no logger, no
 * metrics. Request ids, validation, the error boundary, compression offers, the
 * reserved-metadata guard, the connection manager and HTTP/1.1 sniffing have no switch
 * and stay on (`connect-node-bare` shows the server without any of them).
 */
export async function start(port: number, { host }: ServerVariantOptions): Promise<RunningServerVariant> {
  const server = createHelloServer({ port, host, logger: false, metrics: false });
  const bound = await server.listen();
  return { port: bound, close: () => server.close(1_000) };
}
