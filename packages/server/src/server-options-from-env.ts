import type { Logger } from "pino";
import type { Env } from "./env.js";
import { createServerLogger } from "./logging/create-server-logger.js";
import { resolveLogFormat } from "./logging/log-format.js";
import type { HelloServerOptions } from "./server.js";

/**
 * The server options a deployment runs with, from its validated environment: what
 * `main.ts` starts, and what benchmarks and tests use to run "the server as shipped".
 * `stdoutIsTTY` decides `LOG_FORMAT=auto` (readable lines on a terminal, JSON otherwise).
 */
export function serverOptionsFromEnv(
  env: Env,
  stdoutIsTTY: boolean = process.stdout.isTTY === true,
): HelloServerOptions & { logger: Logger } {
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
    logger: createServerLogger({ level: env.LOG_LEVEL, format: resolveLogFormat(env.LOG_FORMAT, stdoutIsTTY) }),
    metrics: true,
    internals: env.HELLO_RPC_INTERNALS === "on",
    ...(env.PLAYGROUND_DIR ? { staticDir: env.PLAYGROUND_DIR } : {}),
    ...(env.TLS_CERT_FILE && env.TLS_KEY_FILE
      ? {
          tls: {
            certFile: env.TLS_CERT_FILE,
            keyFile: env.TLS_KEY_FILE,
            ...(env.TLS_CLIENT_CA_FILE ? { clientCaFile: env.TLS_CLIENT_CA_FILE } : {}),
          },
        }
      : {}),
  };
}
