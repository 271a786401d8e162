/** gRPC and gRPC-Web carry a call's timeout here (PROTOCOL-HTTP2.md: `Timeout`). */
const GRPC_TIMEOUT = "grpc-timeout";
/** The Connect protocol carries it here, in milliseconds. */
const CONNECT_TIMEOUT = "connect-timeout-ms";

// PROTOCOL-HTTP2.md: TimeoutValue is at most 8 digits; the unit is H, M, S, m, u or n.
const GRPC_TIMEOUT_VALUE = /^(\d{1,8})([HMSmun])$/;
const MS_PER_UNIT: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 1e-3, n: 1e-6 };
const MAX_GRPC_TIMEOUT_VALUE = 99_999_999;

/**
 * The timeout that the protocol layer put in a request's headers, in milliseconds, or
 * undefined when the call has none. Interceptors see the headers connect built for the
 * call, not the call options, so this is where the call's deadline can be read.
 */
export function timeoutOfHeader(header: Headers): number | undefined {
  const grpc = header.get(GRPC_TIMEOUT);
  if (grpc !== null) {
    const match = GRPC_TIMEOUT_VALUE.exec(grpc.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) {
      return Number(match[1]) * (MS_PER_UNIT[match[2]] ?? 1);
    }
    return undefined;
  }
  const connect = header.get(CONNECT_TIMEOUT);
  if (connect !== null && /^\d{1,10}$/.test(connect.trim())) {
    return Number(connect.trim());
  }
  return undefined;
}

/**
 * Writes `ms` (rounded down to a whole millisecond, so the server never gets more time than
 * there is, but at least 1) into whichever timeout header
 * the request already carries; a request without one is left alone.
 */
export function setTimeoutHeader(header: Headers, ms: number): void {
  const whole = Math.max(1, Math.floor(ms));
  if (header.has(GRPC_TIMEOUT)) {
    header.set(
      GRPC_TIMEOUT,
      whole <= MAX_GRPC_TIMEOUT_VALUE ? `${whole}m` : `${Math.min(Math.ceil(whole / 1_000), MAX_GRPC_TIMEOUT_VALUE)}S`,
    );
  } else if (header.has(CONNECT_TIMEOUT)) {
    header.set(CONNECT_TIMEOUT, String(whole));
  }
}
