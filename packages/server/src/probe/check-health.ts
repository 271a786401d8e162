import { readFileSync } from "node:fs";
import type * as http2 from "node:http2";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "@hello/sdk";
import type { ProbeOptions } from "./parse-probe-args.js";
import { ProbeExitCode } from "./probe-exit-code.js";

/** What a health check found: the exit code of `hello-probe` and a line for the user. */
export interface ProbeResult {
  exitCode: ProbeExitCode;
  message: string;
}

/**
 * Calls `grpc.health.v1.Health/Check` once over gRPC (HTTP/2: h2c, or TLS for https) and
 * tells SERVING apart from every way of not being SERVING, as grpc_health_probe does: it
 * first connects, then calls, both within one deadline, so a dead address (exit 2) reads
 * differently from a live server that fails or does not answer the call (3) and from an
 * answer other than SERVING (4). Never throws; always closes its connection.
 *
 * @example
 * const { exitCode, message } = await checkHealth({
 *   baseUrl: "http://127.0.0.1:8080", service: "", timeoutMs: 1000,
 * });
 */
export async function checkHealth(options: ProbeOptions): Promise<ProbeResult> {
  const deadline = Date.now() + options.timeoutMs;
  const target = `${options.baseUrl} (service ${JSON.stringify(options.service)})`;

  let nodeOptions: http2.SecureClientSessionOptions = {};
  if (options.tls) {
    try {
      nodeOptions = {
        rejectUnauthorized: !options.tls.noVerify,
        ...(options.tls.caCertFile !== undefined ? { ca: readFileSync(options.tls.caCertFile) } : {}),
        ...(options.tls.serverName !== undefined ? { servername: options.tls.serverName } : {}),
      };
    } catch (error) {
      return { exitCode: ProbeExitCode.InvalidArguments, message: `cannot read --tls-ca-cert: ${describe(error)}` };
    }
  }
  const sessionManager = new Http2SessionManager(options.baseUrl, {}, nodeOptions);
  try {
    // Phase 1: the connection (TCP, and TLS for https).
    const connected = await withTimeout(sessionManager.connect(), deadline - Date.now());
    if (connected === "timeout") {
      return {
        exitCode: ProbeExitCode.ConnectionFailure,
        message: `timeout: could not connect to ${options.baseUrl} within ${options.timeoutMs}ms`,
      };
    }
    if (connected === "error") {
      return {
        exitCode: ProbeExitCode.ConnectionFailure,
        message: `cannot connect to ${options.baseUrl}: ${describe(sessionManager.error())}`,
      };
    }

    // Phase 2: the call, in what is left of the deadline.
    const client = createClient(Health, createGrpcTransport({ baseUrl: options.baseUrl, sessionManager }));
    const response = await client.check({ service: options.service }, { timeoutMs: Math.max(1, deadline - Date.now()) });
    const status = HealthCheckResponse_ServingStatus[response.status] ?? String(response.status);
    if (response.status === HealthCheckResponse_ServingStatus.SERVING) {
      return { exitCode: ProbeExitCode.Serving, message: "status: SERVING" };
    }
    return { exitCode: ProbeExitCode.Unhealthy, message: `service unhealthy: ${target} is ${status}` };
  } catch (error) {
    return {
      exitCode: ProbeExitCode.RpcFailure,
      message: describeRpcFailure(ConnectError.from(error), target, options.timeoutMs),
    };
  } finally {
    sessionManager.abort();
  }
}

function describeRpcFailure(error: ConnectError, target: string, timeoutMs: number): string {
  switch (error.code) {
    case Code.Unimplemented:
      return `error: ${target} does not implement the gRPC health protocol (grpc.health.v1.Health): ${error.rawMessage}`;
    case Code.NotFound:
      return `error: ${target}: the server does not know this service: ${error.rawMessage}`;
    case Code.DeadlineExceeded:
      return `timeout: the health call to ${target} did not complete within ${timeoutMs}ms`;
    default:
      return `error: health call to ${target} failed: ${Code[error.code]}: ${error.rawMessage}`;
  }
}

function describe(error: unknown): string {
  if (error instanceof ConnectError) {
    // The Node error underneath (ECONNREFUSED, a certificate problem) says more than the code.
    return error.cause instanceof Error ? error.cause.message : error.rawMessage;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Resolves with the promise's value, or "timeout" after `ms` milliseconds. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
