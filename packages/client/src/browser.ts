/**
 * `@hello/client` for browsers: the same API as in Node over the browser's fetch, with
 * gRPC-Web or Connect (browsers cannot speak gRPC's HTTP/2 trailers, nor stream requests).
 * Deadlines, retries, the token, request ids and the metadata and error helpers work the
 * same; the HTTP/2 channel and compression options are Node's alone.
 *
 * @example
 * import { createClient } from "@hello/client";
 * import { HelloService } from "@hello/sdk";
 * const client = createClient(HelloService, { baseUrl: location.origin, protocol: "connect" });
 * const { reply } = await client.sayHello({ greeting: "hi" });
 *
 * @packageDocumentation
 */
export { createClient, type ServiceClient } from "./create-browser-client.js";
export { createHelloClient, type HelloClient } from "./create-browser-hello-client.js";
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
  CLIENT_TRACER_NAME,
  createOpenTelemetryInterceptor,
  type OpenTelemetryInterceptorOptions,
} from "./opentelemetry/create-opentelemetry-interceptor.js";
export { createRetryInterceptor, PREVIOUS_ATTEMPTS_HEADER, type RetryInterceptorOptions } from "./retry/create-retry-interceptor.js";
export { DEFAULT_RETRY_POLICY, resolveRetryPolicy, type RetryOptions, type RetryPolicy, retryOptionsKey } from "./retry/retry-policy.js";
export { computeBackoffMs, type RandomSource } from "./retry/compute-backoff.js";
export { RETRY_PUSHBACK_HEADER, retryPushbackOf } from "./retry/retry-pushback.js";
export { type FieldViolation, fieldViolationsOf } from "./errors/field-violations-of.js";
export {
  BINARY_METADATA_SUFFIX,
  isBinaryMetadataKey,
  type MetadataEntry,
  parseMetadataEntry,
  RESERVED_METADATA_PREFIX,
} from "./metadata/parse-metadata-entry.js";
export { metadataToHeaders } from "./metadata/metadata-to-headers.js";
export { appendBinaryHeader, binaryHeaderValues } from "./metadata/binary-header.js";
export { AUTHORIZATION_HEADER, bearerAuthorization } from "./metadata/bearer-token.js";
export { type BinaryMetadataKey, type CallHeadersInit, createCallHeaders } from "./metadata/create-call-headers.js";
export { requestIdOf } from "./metadata/request-id-of.js";
export { requestMetadataError } from "./metadata/request-metadata-error.js";
export { guardCallHeaders } from "./transport/guard-call-headers.js";
