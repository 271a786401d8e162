import { createHelloServer, readEnv, serverOptionsFromEnv } from "@hello/server";
import { ALL_HTTP_VERSIONS, BENCH_ORIGIN } from "../workloads.js";
import type { RunningServerVariant, ServerVariantOptions } from "./server-variant.js";

/** Our server exactly as `main.ts` starts it, with every default. */
export const label = "@hello/server as shipped (main.ts defaults)";

/** HTTP/2 (h2c) and HTTP/1.1 on one port, as `main.ts` serves them. */
export const httpVersions = ALL_HTTP_VERSIONS;
/** Started with the bench's origin allowed, as a deployment serving browsers is. */
export const cors = true;

/**
 * `createHelloServer(serverOptionsFromEnv(env))`, what `main.ts` runs, from an environment
 * that sets only `CORS_ORIGINS` to the bench's origin (every other setting at its default;
 * calls without an `Origin` header are unaffected), on the bench's host and port: the fast path
 * (unary gRPC, gRPC-Web and Connect; server-streaming gRPC), a pino call log at `info` (one
 * JSON line per call to stdout, which the bench points at /dev/null), Prometheus metrics,
 * connection limits, request ids, validation and the error boundary.
 */
export async function start(port: number, { host }: ServerVariantOptions): Promise<RunningServerVariant> {
  const server = createHelloServer({ ...serverOptionsFromEnv(readEnv({ CORS_ORIGINS: BENCH_ORIGIN })), port, host });
  const bound = await server.listen();
  return { port: bound, close: () => server.close(1_000) };
}
