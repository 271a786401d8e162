import type { Transport } from "@connectrpc/connect";
import {
  compressionBrotli,
  compressionGzip,
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import { type ClientChannel, createClientChannel } from "./channel/create-client-channel.js";
import { createClientInterceptors } from "./create-client-interceptors.js";
import { DEFAULT_TIMEOUT_MS } from "./client-options.js";
import type { NodeClientOptions } from "./node-client-options.js";
import { createOpenTelemetryInterceptor } from "./opentelemetry/create-opentelemetry-interceptor.js";
import { createRetryInterceptor } from "./retry/create-retry-interceptor.js";
import { createGrpcHttp2Transport } from "./transport/create-grpc-http2-transport.js";
import { createSessionManager } from "./transport/create-session-manager.js";
import { guardCallHeaders } from "./transport/guard-call-headers.js";
import { observeStreamFailures } from "./transport/observe-stream-failures.js";
import { normalizeTransportErrors } from "./transport/normalize-transport-errors.js";

/** A transport configured like `createClient`'s, with the connection it owns. */
export interface NodeTransport {
  /** For connect's `createClient(service, transport)`, for any number of services. */
  readonly transport: Transport;
  /** The HTTP/2 connection; undefined over HTTP/1.1, where Node pools connections per request. */
  readonly channel: ClientChannel | undefined;
  /** Closes the HTTP/2 connection, if any; later calls open a new one. */
  close(): void;
}

/**
 * Creates the Node transport behind `createClient`: protocol, HTTP version, deadline,
 * headers, token, request ids, retries, compression and keepalive, on one connection that
 * clients of several services can share. Connection failures (refused, reset, GOAWAY, …)
 * fail calls with UNAVAILABLE, in any realm, and so are retried: see
 * `normalizeTransportError`.
 *
 * @example
 * const { transport, close } = createNodeTransport({ baseUrl, protocol: "grpc" });
 * const health = createClient(Health, transport); // connect's createClient
 * const todos = createClient(TodoService, transport); // same connection
 */
export function createNodeTransport(options: NodeClientOptions): NodeTransport {
  const httpVersion = options.protocol === "grpc" ? "2" : (options.httpVersion ?? "2");
  const interceptors = [
    // Outermost: one span per call, around its retries, with the status the caller gets.
    ...(options.openTelemetry === false ? [] : [createOpenTelemetryInterceptor({ baseUrl: options.baseUrl, protocol: options.protocol })]),
    ...createClientInterceptors({
      halfDuplexOnly: httpVersion === "1.1",
      ...(options.headers ? { headers: options.headers } : {}),
      ...(options.requestId !== undefined ? { requestId: options.requestId } : {}),
      ...(options.token !== undefined ? { token: options.token } : {}),
    }),
    ...(options.interceptors ?? []),
    // The interceptors above see one call, the transport sees every attempt.
    createRetryInterceptor(options.retry ?? {}),
    // Innermost, next to the transport (connect runs interceptors first to last, the first
    // outermost): retries decide on the normalised code of each attempt.
    normalizeTransportErrors,
  ];
  const sessionManager =
    httpVersion === "2"
      ? createSessionManager(options.baseUrl, { ...options.keepalive }, options.tls ? { ...options.tls } : undefined)
      : undefined;
  const send = options.sendCompression === undefined ? undefined : options.sendCompression === "gzip" ? compressionGzip : compressionBrotli;
  const common = {
    baseUrl: options.baseUrl,
    interceptors,
    // 0 turns the default deadline off.
    ...(options.timeoutMs === 0 ? {} : { defaultTimeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS }),
    // With acceptCompression off, a client that compresses its requests must still accept
    // that one encoding: servers may answer in the request's encoding when the client
    // advertises none (connect does).
    acceptCompression: options.acceptCompression === false ? (send ? [send] : []) : [compressionGzip, compressionBrotli],
    ...(send ? { sendCompression: send } : {}),
    ...(options.compressMinBytes !== undefined ? { compressMinBytes: options.compressMinBytes } : {}),
    ...(options.readMaxBytes !== undefined ? { readMaxBytes: options.readMaxBytes } : {}),
    ...(options.jsonOptions !== undefined ? { jsonOptions: options.jsonOptions } : {}),
    useBinaryFormat: !options.useJson,
  };
  const http =
    sessionManager !== undefined
      ? ({ httpVersion: "2", sessionManager } as const)
      : ({ httpVersion: "1.1", ...(options.tls ? { nodeOptions: { ...options.tls } } : {}) } as const);
  const transport =
    options.protocol === "grpc"
      ? grpcTransport(common, sessionManager!, send, options)
      : options.protocol === "grpc-web"
        ? createGrpcWebTransport({ ...common, ...http })
        : createConnectTransport({ ...common, ...http, ...(options.useHttpGet ? { useHttpGet: true } : {}) });
  const channel = sessionManager !== undefined ? createClientChannel(sessionManager) : undefined;
  return {
    transport: observeStreamFailures(guardCallHeaders(transport)),
    channel,
    close() {
      channel?.close();
    },
  };
}

/**
 * gRPC: calls in binary go straight to the HTTP/2 session (`createGrpcHttp2Transport`),
 * calls in JSON through connect-node's transport, with the same options and interceptors.
 */
function grpcTransport(
  common: Parameters<typeof createGrpcTransport>[0],
  sessionManager: ReturnType<typeof createSessionManager>,
  send: typeof compressionGzip | undefined,
  options: NodeClientOptions,
): Transport {
  if (options.useJson) return createGrpcTransport({ ...common, sessionManager });
  return createGrpcHttp2Transport({
    baseUrl: options.baseUrl,
    sessionManager,
    // Unary and server-stream calls end their request body as they open the stream, so they
    // need none of the resetting session manager's care for open request bodies: connect's own `request`.
    requestEndedBody: Http2SessionManager.prototype.request.bind(sessionManager),
    ...(common.interceptors ? { interceptors: common.interceptors } : {}),
    ...(common.defaultTimeoutMs !== undefined ? { defaultTimeoutMs: common.defaultTimeoutMs } : {}),
    ...(common.acceptCompression ? { acceptCompression: common.acceptCompression } : {}),
    ...(send ? { sendCompression: send } : {}),
    ...(options.compressMinBytes !== undefined ? { compressMinBytes: options.compressMinBytes } : {}),
    ...(options.readMaxBytes !== undefined ? { readMaxBytes: options.readMaxBytes } : {}),
  });
}

/** @deprecated Renamed: use {@link NodeTransport}. */
export type HelloTransport = NodeTransport;

/** @deprecated Renamed: use {@link createNodeTransport}. */
export const createHelloTransport = createNodeTransport;
