/** One line of nginx's `rpc` access log (deploy/nginx/nginx.conf): one request nginx passed on. */
export interface AccessLogEntry {
  /** HTTP status nginx answered with. */
  status: number;
  /** grpc-status of the answer ("" when there was none: Connect, gRPC-Web, an nginx error page). */
  grpcStatus: string;
  /** Every replica nginx tried, in order; the last one answered. */
  upstreams: string[];
  /** The HTTP status of each try, in the same order ("502" for a failed connection). */
  upstreamStatuses: string[];
  requestId: string;
  /** The client's `grpc-previous-rpc-attempts`: 0 for a first attempt, n for its n-th retry. */
  previousAttempts: number;
}

const LINE = /^\S+ "[^"]*" (\d+) grpc-status=(\S*) upstream=(.*?) upstream-status=(.*?) request-id=(\S+) previous-attempts=(\S+) time=\S+$/;

/** The entries of an access log; lines in any other format are skipped. */
export function parseAccessLog(log: string): AccessLogEntry[] {
  return log.split("\n").flatMap((line) => {
    const m = LINE.exec(line);
    if (m === null) return [];
    // nginx separates tries with ", " (and groups with " : "); "-" means none.
    const list = (value: string) => value.split(/\s*[,:]\s+/).filter((item) => item !== "" && item !== "-");
    return [
      {
        status: Number(m[1]),
        grpcStatus: m[2]!,
        upstreams: list(m[3]!),
        upstreamStatuses: list(m[4]!),
        requestId: m[5]!,
        previousAttempts: m[6] === "-" ? 0 : Number(m[6]),
      },
    ];
  });
}
