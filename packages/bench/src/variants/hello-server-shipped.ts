import { createHelloServer, readEnv, serverOptionsFromEnv } from "@hello/server";
import type { RunningServerVariant, ServerVariantOptions } from "./server-variant.js";

/** Our server exactly as `main.ts` starts it, with every default. */
export const label = "@hello/server as shipped (main.ts defaults)";

/**
 * `createHelloServer(serverOptionsFromEnv(env))`, what `main.ts` runs, from an empty
 * environment (`readEnv({})`: every default), on the bench's host and port: the fast path
 * (unary gRPC, gRPC-Web and Connect; server-streaming gRPC), a pino call log at `info` (one
 * JSON line per call to stdout, which the bench points at /dev/null), Prometheus metrics,
 * connection limits, request ids, validation and the error boundary.
 */
export async function start(port: number, { host }: ServerVariantOptions): Promise<RunningServerVariant> {
  const server = createHelloServer({ ...serverOptionsFromEnv(readEnv({})), port, host });
  const bound = await server.listen();
  return { port: bound, close: () => server.close(1_000) };
}
