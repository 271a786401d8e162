import type { ClientOptions } from "./client-options.js";

/**
 * HTTP/2 keepalive, as in gRPC (A8): PINGs that find a dead connection before a call does,
 * and an idle timeout that closes unused connections. Passed to connect's
 * `Http2SessionManager`; HTTP/1.1 ignores it.
 */
export interface KeepaliveOptions {
  /** Send a PING after this long without reading from the connection. Default: never (like GRPC_ARG_KEEPALIVE_TIME_MS). */
  pingIntervalMs?: number;
  /** Close the connection when a PING is not answered within this time. Default 15 s. */
  pingTimeoutMs?: number;
  /** Also PING connections without calls in flight. Default false. */
  pingIdleConnection?: boolean;
  /** Close a connection that has had no call for this long. Default 15 min. */
  idleConnectionTimeoutMs?: number;
}

/** Options of the Node client: the common ones plus HTTP version, keepalive and compression. */
export interface NodeClientOptions extends ClientOptions {
  /**
   * HTTP version for gRPC-Web and Connect; gRPC always uses HTTP/2. Default "2": every
   * call of the client shares one multiplexed connection.
   */
  httpVersion?: "1.1" | "2";
  /** HTTP/2 keepalive of the client's connection. */
  keepalive?: KeepaliveOptions;
  /**
   * Accept compressed responses (gzip, br). Default true; `false` asks the server for
   * uncompressed responses (e.g. to look at the wire, or when CPU matters more than bytes).
   */
  acceptCompression?: boolean;
  /** With `sendCompression`: compress only request messages of at least this many bytes. Default 1024. */
  compressMinBytes?: number;
}

/** @deprecated Renamed: use {@link NodeClientOptions}. */
export type NodeHelloClientOptions = NodeClientOptions;
