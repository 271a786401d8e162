/**
 * Exit codes of `hello-probe`, the same as grpc_health_probe's
 * (https://github.com/grpc-ecosystem/grpc-health-probe#exit-codes), so scripts and
 * orchestrators written for that tool read ours the same way.
 */
export const ProbeExitCode = {
  /** The service is SERVING. */
  Serving: 0,
  /** The command line is invalid (or a TLS file cannot be read). */
  InvalidArguments: 1,
  /** No connection: refused, reset, unresolvable host, TLS handshake failed. */
  ConnectionFailure: 2,
  /** The Check call failed: deadline exceeded, UNIMPLEMENTED, NOT_FOUND, …. */
  RpcFailure: 3,
  /** The call succeeded, but the status is not SERVING. */
  Unhealthy: 4,
} as const;

/** One of {@link ProbeExitCode}'s values. */
export type ProbeExitCode = (typeof ProbeExitCode)[keyof typeof ProbeExitCode];
