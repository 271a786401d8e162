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
/** TLS material of a Node client, PEM: a CA to trust besides Node's, and a client certificate. */
export interface ClientTlsOptions {
  /** Certificate authorities to trust for the server's certificate (replaces Node's defaults, as in `tls.connect`). */
  ca?: string | Buffer;
  /** The client's certificate, for servers that ask for one. */
  cert?: string | Buffer;
  /** The private key of `cert`. */
  key?: string | Buffer;
}

export interface NodeClientOptions extends ClientOptions {
  /** TLS options for `https://` base URLs, on HTTP/2 and HTTP/1.1 alike. */
  tls?: ClientTlsOptions;
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
