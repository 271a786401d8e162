import { statSync } from "node:fs";
import { z } from "zod";
import { DEFAULT_CONNECTION_LIMITS } from "./http/connection-manager.js";
import { LOG_FORMAT_SETTINGS } from "./logging/log-format.js";

// Every environment variable the server reads, parsed and validated here and nowhere else.
const EnvSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    HOST: z.string().min(1).default("::"),
    TLS_CERT_FILE: z.string().min(1).optional(),
    TLS_KEY_FILE: z.string().min(1).optional(),
    // Mutual TLS: clients must present a certificate issued by this CA bundle.
    TLS_CLIENT_CA_FILE: z.string().min(1).optional(),
    CORS_ORIGINS: z
      .string()
      .default("")
      .transform((v) =>
        v.trim() === "*"
          ? ("*" as const)
          : v
              .split(",")
              .map((o) => o.trim())
              .filter(Boolean),
      ),
    SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
    READ_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1)
      .default(4 * 1024 * 1024),
    // Connection limits: see DEFAULT_CONNECTION_LIMITS in http/connection-manager.ts.
    FIRST_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1).default(DEFAULT_CONNECTION_LIMITS.firstRequestTimeoutMs),
    IDLE_TIMEOUT_MS: z.coerce.number().int().min(1).default(DEFAULT_CONNECTION_LIMITS.idleTimeoutMs),
    MAX_CONCURRENT_STREAMS: z.coerce.number().int().min(1).default(DEFAULT_CONNECTION_LIMITS.maxConcurrentStreams),
    MAX_HEADER_BYTES: z.coerce.number().int().min(1024).default(DEFAULT_CONNECTION_LIMITS.maxHeaderBytes),
    MAX_HEADER_COUNT: z.coerce.number().int().min(8).default(DEFAULT_CONNECTION_LIMITS.maxHeaderCount),
    KEEPALIVE_INTERVAL_MS: z.coerce.number().int().min(0).default(DEFAULT_CONNECTION_LIMITS.keepaliveIntervalMs),
    KEEPALIVE_TIMEOUT_MS: z.coerce.number().int().min(1).default(DEFAULT_CONNECTION_LIMITS.keepaliveTimeoutMs),
    MAX_CONNECTIONS: z.coerce.number().int().min(1).default(DEFAULT_CONNECTION_LIMITS.maxConnections),
    MAX_STREAM_RESETS: z.coerce.number().int().min(1).default(DEFAULT_CONNECTION_LIMITS.maxStreamResets),
    STREAM_RESET_WINDOW_MS: z.coerce.number().int().min(1).default(DEFAULT_CONNECTION_LIMITS.streamResetWindowMs),
    // The one switch for every trick on a private API (ServerOptions.internals).
    HELLO_RPC_INTERNALS: z.enum(["on", "off"]).default("on"),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    // auto: readable lines on a terminal, JSON lines otherwise (resolveLogFormat).
    LOG_FORMAT: z.enum(LOG_FORMAT_SETTINGS).default("auto"),
    PLAYGROUND_DIR: z
      .string()
      .min(1)
      .optional()
      .refine((dir) => dir === undefined || isDirectory(dir), {
        message: "must be a directory (the built playground: pnpm --filter @hello/playground build → packages/playground/dist)",
      }),
  })
  .refine((env) => (env.TLS_CERT_FILE === undefined) === (env.TLS_KEY_FILE === undefined), {
    message: "TLS_CERT_FILE and TLS_KEY_FILE must be set together",
    path: ["TLS_CERT_FILE"],
  })
  .refine((env) => env.TLS_CLIENT_CA_FILE === undefined || env.TLS_CERT_FILE !== undefined, {
    message: "TLS_CLIENT_CA_FILE needs TLS_CERT_FILE and TLS_KEY_FILE: client certificates exist only over TLS",
    path: ["TLS_CLIENT_CA_FILE"],
  });

/** The server's validated configuration. */
export type Env = z.infer<typeof EnvSchema>;

/**
 * Reads and validates the environment.
 * @throws Error listing every invalid variable, so a misconfigured deployment fails at start.
 */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const result = EnvSchema.safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid environment: ${problems}`);
  }
  return result.data;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
