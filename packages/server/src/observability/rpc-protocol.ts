import type { RpcProtocol } from "../http/write-rpc-error.js";

/**
 * Tells the wire protocol of a call from its request `content-type` (as interceptors see
 * it): `application/grpc-web…` → gRPC-Web, `application/grpc…` → gRPC, anything else,
 * including no content type at all (a Connect GET), → Connect.
 */
export function rpcProtocolOf(contentType: string | null): RpcProtocol {
  if (contentType === null) {
    return "connect";
  }
  // Media types are case-insensitive (RFC 9110 §8.3.1).
  const type = contentType.toLowerCase();
  if (type.startsWith("application/grpc-web")) return "grpc-web";
  if (type.startsWith("application/grpc")) return "grpc";
  return "connect";
}
