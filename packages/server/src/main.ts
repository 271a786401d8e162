#!/usr/bin/env node
// Entry point: read the environment, listen, stop cleanly on SIGINT/SIGTERM. Nothing else.
import { pino } from "pino";
import { readEnv } from "./env.js";
import { createHelloServer } from "./server.js";

let env: ReturnType<typeof readEnv>;
try {
  env = readEnv();
} catch (error) {
  // A configuration error, not a crash: say what is wrong, without a stack trace.
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(78); // EX_CONFIG
}
const server = createHelloServer({
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
  },
  // Asynchronous writes: a call does not wait for its log line's write(2); pino flushes on exit.
  logger: pino({ level: env.LOG_LEVEL }, pino.destination({ sync: false })),
  metrics: true,
  ...(env.PLAYGROUND_DIR ? { staticDir: env.PLAYGROUND_DIR } : {}),
  ...(env.TLS_CERT_FILE && env.TLS_KEY_FILE
    ? { tls: { certFile: env.TLS_CERT_FILE, keyFile: env.TLS_KEY_FILE } }
    : {}),
});

await server.listen();
console.log(JSON.stringify({ msg: "listening", url: server.url, port: server.port }));

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  console.log(JSON.stringify({ msg: "shutting down", signal }));
  server.close(env.SHUTDOWN_GRACE_MS).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
