import { createHelloServer, readEnv } from "@hello/server";
import { pino } from "pino";
import type { RunningServerVariant, ServerVariantOptions } from "./server-variant.js";

/** Our server as `main.ts` builds it: every default extra on, call log included. */
export const label = "@hello/server as shipped (main.ts defaults)";

/**
 * `createHelloServer` with the options `packages/server/src/main.ts` passes, from an empty
 * environment (`readEnv({})`, so every default): connection limits, a pino logger at
 * LOG_LEVEL=info (one JSON line per call, to stdout, which the bench points at /dev/null),
 * Prometheus metrics, and the built-in request ids, validation and error boundary.
 * main.ts cannot be imported (it listens and installs signal handlers on load), so this
 * mirrors it: keep the two in step.
 */
export async function start(port: number, { host }: ServerVariantOptions): Promise<RunningServerVariant> {
  const env = readEnv({});
  const server = createHelloServer({
    port,
    host,
    corsOrigins: env.CORS_ORIGINS,
    readMaxBytes: env.READ_MAX_BYTES,
    limits: {
      firstRequestTimeoutMs: env.FIRST_REQUEST_TIMEOUT_MS,
      idleTimeoutMs: env.IDLE_TIMEOUT_MS,
      maxConcurrentStreams: env.MAX_CONCURRENT_STREAMS,
      maxHeaderBytes: env.MAX_HEADER_BYTES,
      maxHeaderCount: env.MAX_HEADER_COUNT,
      keepaliveIntervalMs: env.KEEPALIVE_INTERVAL_MS,
      keepaliveTimeoutMs: env.KEEPALIVE_TIMEOUT_MS,
    },
    logger: pino({ level: env.LOG_LEVEL }),
    metrics: true,
  });
  const bound = await server.listen();
  return { port: bound, close: () => server.close(1_000) };
}
