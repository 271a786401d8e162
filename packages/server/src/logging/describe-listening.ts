/** What a listening server is, for {@link describeListening}. */
export interface ListeningServer {
  /** The interface it was asked to bind (`HOST`): "::", "0.0.0.0" or one address or name. */
  host: string;
  /** The port it is bound to (the real one, also when 0 was asked for). */
  port: number;
  /** TLS (HTTP/1.1 and HTTP/2 by ALPN) rather than cleartext (HTTP/1.1 and h2c). */
  tls: boolean;
  /** Fully-qualified names of the services it serves, the platform's (health, reflection) included. */
  services: readonly string[];
  /** Prometheus metrics at `GET /metrics`. */
  metrics: boolean;
  /** The directory served as static files on non-RPC paths, if any. */
  staticDir?: string | undefined;
}

/** The start line: a sentence for people and the same facts as fields for machines. */
export interface ListeningDescription {
  /** One line, e.g. "listening on http://localhost:8080 (bound to [::]:8080, …): gRPC, …". */
  message: string;
  /** The facts of {@link message}, logged under a `listening` key. */
  fields: {
    /** A URL to call it at from this machine. */
    url: string;
    /** The bound address, `[host]:port` for IPv6. */
    address: string;
    port: number;
    protocols: readonly string[];
    http: readonly string[];
    services: readonly string[];
    metrics?: string;
    static?: string;
  };
}

/**
 * Describes a listening server in one line: where to call it (the bound address, and a
 * URL that reaches it from this machine when it binds every interface), which protocols
 * and HTTP versions it speaks, and which services it serves.
 *
 * @example
 * describeListening({ host: "::", port: 8080, tls: false, services: ["hello.v1.HelloService"], metrics: true }).message;
 * // "listening on http://localhost:8080 (bound to [::]:8080, every IPv4 and IPv6 address): gRPC, gRPC-Web
 * //  and Connect over HTTP/1.1 and h2c; services hello.v1.HelloService; Prometheus metrics at /metrics"
 */
export function describeListening(server: ListeningServer): ListeningDescription {
  const scheme = server.tls ? "https" : "http";
  const bracketed = (host: string) => (host.includes(":") ? `[${host}]` : host);
  const address = `${bracketed(server.host)}:${server.port}`;
  // A wildcard bind is not an address to call: "::" is dual-stack, so localhost reaches it
  // over either family; "0.0.0.0" takes IPv4 only, and localhost may resolve to ::1 first.
  const wildcard = server.host === "::" ? "every IPv4 and IPv6 address" : server.host === "0.0.0.0" ? "every IPv4 address" : undefined;
  const callHost = server.host === "::" ? "localhost" : server.host === "0.0.0.0" ? "127.0.0.1" : bracketed(server.host);
  const url = `${scheme}://${callHost}:${server.port}`;
  const http = server.tls ? ["HTTP/1.1", "HTTP/2 (TLS, ALPN)"] : ["HTTP/1.1", "h2c"];

  const parts = [
    `gRPC, gRPC-Web and Connect over ${http.join(" and ")}`,
    `services ${server.services.join(", ")}`,
    ...(server.metrics ? ["Prometheus metrics at /metrics"] : []),
    ...(server.staticDir !== undefined ? [`static files from ${server.staticDir} at /`] : []),
  ];
  const where = wildcard === undefined ? url : `${url} (bound to ${address}, ${wildcard})`;
  return {
    message: `listening on ${where}: ${parts.join("; ")}`,
    fields: {
      url,
      address,
      port: server.port,
      protocols: ["grpc", "grpc-web", "connect"],
      http,
      services: server.services,
      ...(server.metrics ? { metrics: "/metrics" } : {}),
      ...(server.staticDir !== undefined ? { static: server.staticDir } : {}),
    },
  };
}
