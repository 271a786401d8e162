import type { ConnectError } from "@connectrpc/connect";

/**
 * The response metadata (header or trailer) in which a server tells the client when to
 * retry, in milliseconds — gRPC's own key from the retry design (A6,
 * https://github.com/grpc/proposal/blob/master/A6-client-retries.md#pushback). Servers set it
 * in the error's metadata, e.g.
 * `new ConnectError("busy", Code.ResourceExhausted, { "grpc-retry-pushback-ms": "250" })`.
 *
 * We use this key rather than a `google.rpc.RetryInfo` detail (not generated here) or an
 * HTTP-style `retry-after`: it is what gRPC servers and proxies already send, it travels in
 * all three protocols (gRPC and gRPC-Web trailers, Connect headers or end-of-stream
 * metadata), and connect passes it through as ordinary metadata.
 */
export const RETRY_PUSHBACK_HEADER = "grpc-retry-pushback-ms";

/**
 * What the server said about retrying `error`: a delay in milliseconds (a non-negative
 * integer), `"stop"` when it sent a value that is not one (A6: a negative or unparsable
 * pushback means "do not retry"), or `undefined` when it sent none.
 */
export function retryPushbackOf(error: ConnectError): number | "stop" | undefined {
  const value = error.metadata.get(RETRY_PUSHBACK_HEADER);
  if (value === null) {
    return undefined;
  }
  const text = value.trim();
  return /^\d{1,10}$/.test(text) ? Number(text) : "stop";
}
