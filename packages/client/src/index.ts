/**
 * `@hello/client` for Node: a typed client of any generated service over gRPC, gRPC-Web or
 * Connect, HTTP/1.1 or HTTP/2, with deadlines, retries, metadata helpers, typed errors and
 * an observable HTTP/2 channel. Browsers get `./browser.ts` through the "browser" export
 * condition.
 *
 * @example
 * import { createClient, fieldViolationsOf } from "@hello/client";
 * import { HelloService } from "@hello/sdk";
 * const client = createClient(HelloService, { baseUrl: "http://127.0.0.1:8080", protocol: "grpc", token });
 * const { reply } = await client.sayHello({ greeting: "hi" }, { timeoutMs: 1_000 });
 * client.close();
 *
 * @packageDocumentation
 */
export { createClient, type ServiceClient } from "./create-client.js";
export { createHelloClient, type HelloClient } from "./create-hello-client.js";
export type { ClientTlsOptions, KeepaliveOptions, NodeClientOptions, NodeHelloClientOptions } from "./node-client-options.js";
export {
  type ClientOptions,
  type ClientProtocol,
  DEFAULT_TIMEOUT_MS,
  type HelloClientOptions,
  type HelloProtocol,
  type TokenSource,
} from "./client-options.js";
export { REQUEST_ID_HEADER } from "./create-client-interceptors.js";
export {
  BINARY_METADATA_SUFFIX,
  isBinaryMetadataKey,
  type MetadataEntry,
  parseMetadataEntry,
  RESERVED_METADATA_PREFIX,
} from "./metadata/parse-metadata-entry.js";
export { metadataToHeaders } from "./metadata/metadata-to-headers.js";
export { createHelloTransport, createNodeTransport, type HelloTransport, type NodeTransport } from "./create-node-transport.js";
export { type ChannelState, channelStateOf, type Http2SessionState } from "./channel/channel-state.js";
export {
  type ChannelStateListener,
  type ClientChannel,
  createClientChannel,
  createHelloChannel,
  type HelloChannel,
  type WaitForStateOptions,
} from "./channel/create-client-channel.js";
export {
  CLIENT_TRACER_NAME,
  createOpenTelemetryInterceptor,
  type OpenTelemetryInterceptorOptions,
} from "./opentelemetry/create-opentelemetry-interceptor.js";
export { createRetryInterceptor, PREVIOUS_ATTEMPTS_HEADER, type RetryInterceptorOptions } from "./retry/create-retry-interceptor.js";
export { DEFAULT_RETRY_POLICY, resolveRetryPolicy, type RetryOptions, type RetryPolicy, retryOptionsKey } from "./retry/retry-policy.js";
export { computeBackoffMs, type RandomSource } from "./retry/compute-backoff.js";
export { RETRY_PUSHBACK_HEADER, retryPushbackOf } from "./retry/retry-pushback.js";
export { callOptionsFromContext, type ContextCallOptions } from "./deadline/call-options-from-context.js";
export { type FieldViolation, fieldViolationsOf } from "./errors/field-violations-of.js";
export { appendBinaryHeader, binaryHeaderValues } from "./metadata/binary-header.js";
export { AUTHORIZATION_HEADER, bearerAuthorization } from "./metadata/bearer-token.js";
export { type BinaryMetadataKey, type CallHeadersInit, createCallHeaders } from "./metadata/create-call-headers.js";
export { requestIdOf } from "./metadata/request-id-of.js";
export { requestMetadataError } from "./metadata/request-metadata-error.js";
export { guardCallHeaders } from "./transport/guard-call-headers.js";
export { normalizeTransportError, normalizeTransportErrors } from "./transport/normalize-transport-errors.js";
