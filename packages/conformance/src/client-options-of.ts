import type { NodeClientOptions } from "@hello/client";
import {
  Codec,
  Compression,
  HTTPVersion,
  Protocol,
} from "./gen/connectrpc/conformance/v1/config_pb.js";
import type { ClientCompatRequest } from "./gen/connectrpc/conformance/v1/client_compat_pb.js";

/**
 * Maps what a `ClientCompatRequest` asks of the client (protocol, HTTP version, codec,
 * compression, server address and TLS, timeout) to `@hello/client` options. `trustedCert` is
 * the certificate this process trusts as a root, if any. Throws for a
 * request the client has no option for, so that the runner reports the case as one the client
 * could not even start (a `ClientErrorResult`) instead of a call made some other way.
 *
 * The client's own defaults stay as shipped (request ids, retries of idempotent methods,
 * accepted compressions), except two that would change what the suite asked for: no default
 * deadline (only the case's timeout goes out) and every request message compressed when
 * compression is asked for (the reference server checks the encoding of each message).
 */
export function clientOptionsOf(request: ClientCompatRequest, trustedCert?: Uint8Array): NodeClientOptions {
  if (request.clientTlsCreds !== undefined) {
    throw new Error("@hello/client has no option for a TLS client certificate");
  }
  // messageReceiveLimit is ignored: @hello/client has no option for a limit on the size of
  // response messages, and the runner sends the field with every request when the config
  // claims the feature; only the cases about the limit can tell.
  if (request.useGetHttpMethod) {
    throw new Error("@hello/client has no option to send side-effect-free Connect calls as GET");
  }
  const protocol = protocolOf(request.protocol);
  if (request.codec === Codec.JSON && protocol !== "connect") {
    throw new Error(`@hello/client sends JSON over Connect only (useJson), not over ${protocol}`);
  }
  if (request.codec !== Codec.PROTO && request.codec !== Codec.JSON) {
    throw new Error(`unsupported codec ${Codec[request.codec]}`);
  }
  // A server certificate means TLS, and the client must trust it as a root. @hello/client
  // takes no CA option, so the certificate the runner was given is trusted process-wide
  // (NODE_EXTRA_CA_CERTS, see run-conformance.ts); any other one cannot work.
  const tls = request.serverTlsCert.byteLength > 0;
  if (tls && (trustedCert === undefined || !sameBytes(request.serverTlsCert, trustedCert))) {
    throw new Error("the server's certificate is not the one this process trusts (@hello/client has no CA option)");
  }
  const scheme = tls ? "https" : "http";
  const host = request.host.includes(":") ? `[${request.host}]` : request.host;
  const sendCompression = sendCompressionOf(request.compression);
  return {
    baseUrl: `${scheme}://${host}:${request.port}`,
    protocol,
    httpVersion: httpVersionOf(request.httpVersion),
    useJson: request.codec === Codec.JSON,
    timeoutMs: request.timeoutMs ?? 0,
    // connect compresses a Connect unary body only above the minimum: -1 takes in empty ones.
    ...(sendCompression === undefined ? {} : { sendCompression, compressMinBytes: -1 }),
  };
}

function protocolOf(protocol: Protocol): NodeClientOptions["protocol"] {
  switch (protocol) {
    case Protocol.CONNECT:
      return "connect";
    case Protocol.GRPC:
      return "grpc";
    case Protocol.GRPC_WEB:
      return "grpc-web";
    default:
      throw new Error(`unsupported protocol ${Protocol[protocol]}`);
  }
}

function httpVersionOf(version: HTTPVersion): "1.1" | "2" {
  switch (version) {
    case HTTPVersion.HTTP_VERSION_1:
      return "1.1";
    case HTTPVersion.HTTP_VERSION_2:
      return "2";
    default:
      throw new Error(`unsupported HTTP version ${HTTPVersion[version]}`);
  }
}

function sendCompressionOf(compression: Compression): NodeClientOptions["sendCompression"] {
  switch (compression) {
    case Compression.UNSPECIFIED:
    case Compression.IDENTITY:
      return undefined;
    case Compression.GZIP:
      return "gzip";
    case Compression.BR:
      return "br";
    default:
      throw new Error(`unsupported compression ${Compression[compression]}`);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i]);
}
