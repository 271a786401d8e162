#!/usr/bin/env node
// Entry point: read the environment, listen, stop cleanly on SIGINT/SIGTERM. Nothing else.
import { readEnv } from "./env.js";
import { describeListening } from "./logging/describe-listening.js";
import { createHelloServer } from "./server.js";
import { serverOptionsFromEnv } from "./server-options-from-env.js";

let env: ReturnType<typeof readEnv>;
try {
  env = readEnv();
} catch (error) {
  // A configuration error, not a crash: say what is wrong, without a stack trace.
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(78); // EX_CONFIG
}
const options = serverOptionsFromEnv(env);
const { logger } = options;
const server = createHelloServer(options);

try {
  await server.listen();
} catch (error) {
  // A port in use or not ours to bind is a configuration problem: one line, no stack.
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
    const why =
      code === "EADDRINUSE"
        ? "is already in use (another server?)"
        : code === "EACCES"
          ? "needs privileges this process lacks"
          : "is not an address of this machine";
    console.error(`error: cannot listen on ${env.HOST} port ${env.PORT}: it ${why} — set PORT (or HOST) to another value`);
    process.exit(78); // EX_CONFIG
  }
  throw error;
}
const listening = describeListening({
  host: env.HOST,
  port: server.port,
  tls: options.tls !== undefined,
  services: server.services.map((service) => service.typeName),
  metrics: options.metrics !== false,
  staticDir: options.staticDir,
});
logger.info({ listening: listening.fields }, listening.message);

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, `shutting down: calls in flight have ${env.SHUTDOWN_GRACE_MS} ms to finish`);
  server.close(env.SHUTDOWN_GRACE_MS).then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ err: error }, "shutdown failed");
      process.exit(1);
    },
  );
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
