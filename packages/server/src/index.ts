/**
 * `@hello/server`: a server for any generated services — `createServer({ routes })` serves
 * them over gRPC, gRPC-Web and Connect with health, reflection, validation, metrics, the call
 * log and graceful shutdown — and the hello.v1 application built on it (`createHelloServer`).
 * `main.ts` is the process entry point.
 *
 * @packageDocumentation
 */
export {
  createHelloServer,
  createServer,
  DEFAULT_READ_MAX_BYTES,
  type HelloServer,
  type HelloServerOptions,
  type Server,
  type ServerOptions,
  type TlsOptions,
} from "./server.js";
export { registeredServices, servicesOf, type PlatformServicesOptions, withPlatformServices } from "./platform-services.js";
export {
  createGreeter,
  DEFAULT_REPLY_COUNT,
  type CallScope,
  type Greeter,
  type GreeterObserver,
  type GreeterOptions,
  type GreetingEnd,
} from "./hello/greeter.js";
export { callScopeOf, downstreamCallOptions, type DownstreamCallOptions } from "./call-scope.js";
export { createRoutes, type RoutesOptions } from "./routes.js";
export { createHealthStatus, type HealthStatus, type ServingStatus, type ServingStatusListener } from "./health/health-status.js";
export { REQUEST_ID_HEADER, requestIdKey } from "./request-id.js";
export { createOpenTelemetryInterceptor, SERVER_TRACER_NAME } from "./observability/opentelemetry-interceptor.js";
export { spanContextKey } from "./observability/span-context.js";
export { connectionInfoKey, type ConnectionInfo } from "./observability/connection-info.js";
export { readEnv, type Env } from "./env.js";
export { serverOptionsFromEnv } from "./server-options-from-env.js";
