import { createRegistry } from "@bufbuild/protobuf";
import type { NodeClientOptions } from "@hello/client";
import { Codec, Compression, HTTPVersion, Protocol } from "./gen/connectrpc/conformance/v1/config_pb.js";
import type { ClientCompatRequest } from "./gen/connectrpc/conformance/v1/client_compat_pb.js";
import { file_connectrpc_conformance_v1_service } from "./gen/connectrpc/conformance/v1/service_pb.js";

/**
 * Maps what a `ClientCompatRequest` asks of the client (protocol, HTTP version, codec,
 * compression, server address, TLS trust and client certificate, GET, receive limit,
 * timeout) to `@hello/client` options; a TLS case's server certificate becomes the client's
 * `tls.ca`. Throws for a request the client has no option for, so that the runner
 * reports the case as one the client could not even start (a `ClientErrorResult`).
 *
 * The client's own defaults stay as shipped (request ids, retries of idempotent methods,
 * accepted compressions), except two that would change what the suite asked for: no default
 * deadline (only the case's timeout goes out) and every request message compressed when
 * compression is asked for (the reference server checks the encoding of each message).
 */
export function clientOptionsOf(request: ClientCompatRequest): NodeClientOptions {
  if (request.codec !== Codec.PROTO && request.codec !== Codec.JSON) {
    throw new Error(`unsupported codec ${Codec[request.codec]}`);
  }
  const protocol = protocolOf(request.protocol);
  const tls = request.serverTlsCert.byteLength > 0;
  const scheme = tls ? "https" : "http";
  const host = request.host.includes(":") ? `[${request.host}]` : request.host;
  const sendCompression = sendCompressionOf(request.compression);
  const clientCreds = request.clientTlsCreds;
  return {
    baseUrl: `${scheme}://${host}:${request.port}`,
    protocol,
    httpVersion: httpVersionOf(request.httpVersion),
    useJson: request.codec === Codec.JSON,
    // Responses carry requests in google.protobuf.Any: JSON needs their types.
    jsonOptions: { registry: createRegistry(file_connectrpc_conformance_v1_service) },
    ...(request.useGetHttpMethod ? { useHttpGet: true } : {}),
    ...(request.messageReceiveLimit > 0 ? { readMaxBytes: request.messageReceiveLimit } : {}),
    ...(tls
      ? {
          tls: {
            ca: Buffer.from(request.serverTlsCert),
            ...(clientCreds ? { cert: Buffer.from(clientCreds.cert), key: Buffer.from(clientCreds.key) } : {}),
          },
        }
      : {}),
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
