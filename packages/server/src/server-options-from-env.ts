import { pino } from "pino";
import type { Env } from "./env.js";
import { createBatchedLogDestination } from "./observability/batched-log-destination.js";
import type { HelloServerOptions } from "./server.js";

/**
 * The server options a deployment runs with, from its validated environment: what
 * `main.ts` starts, and what benchmarks and tests use to run "the server as shipped".
 */
export function serverOptionsFromEnv(env: Env): HelloServerOptions {
  return {
    port: env.PORT,
    host: env.HOST,
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
      maxConnections: env.MAX_CONNECTIONS,
      maxStreamResets: env.MAX_STREAM_RESETS,
      streamResetWindowMs: env.STREAM_RESET_WINDOW_MS,
    },
    // Batched writes: the lines of one event-loop turn leave with one write(2); pending
    // lines are flushed on exit.
    logger: pino({ level: env.LOG_LEVEL }, createBatchedLogDestination()),
    metrics: true,
    internals: env.HELLO_RPC_INTERNALS === "on",
    ...(env.PLAYGROUND_DIR ? { staticDir: env.PLAYGROUND_DIR } : {}),
    ...(env.TLS_CERT_FILE && env.TLS_KEY_FILE ? { tls: { certFile: env.TLS_CERT_FILE, keyFile: env.TLS_KEY_FILE } } : {}),
  };
}
