import { createHelloServer } from "@hello/server";
import { ALL_HTTP_VERSIONS, BENCH_ORIGIN } from "../workloads.js";
import type { RunningServerVariant, ServerVariantOptions } from "./server-variant.js";

/** Our server with every extra that has a switch turned off. */
export const label = "@hello/server, extras off (no logger, no metrics)";

/** HTTP/2 (h2c) and HTTP/1.1 on one port, as `main.ts` serves them. */
export const httpVersions = ALL_HTTP_VERSIONS;
/** Started with the bench's origin allowed, as a deployment serving browsers is. */
export const cors = true;

/**
 * `createHelloServer` with the extras that have an option turned off: no logger, no
 * metrics (the fast path stays on: it is the server's normal path, not an extra). Request
 * ids, validation, the error boundary, compression offers, the reserved-metadata guard,
 * the connection manager and HTTP/1.1 sniffing have no switch and stay on
 * (`connect-bare` shows connect-node without any of them).
 */
export async function start(port: number, { host }: ServerVariantOptions): Promise<RunningServerVariant> {
  const server = createHelloServer({ port, host, logger: false, metrics: false, corsOrigins: [BENCH_ORIGIN] });
  const bound = await server.listen();
  return { port: bound, close: () => server.close(1_000) };
}
