/**
 * `@hello/server`: the hello.v1 server, for embedding (tests, benchmarks, other mains).
 * `main.ts` is the process entry point.
 *
 * @packageDocumentation
 */
export { createHelloServer, DEFAULT_READ_MAX_BYTES, type HelloServer, type HelloServerOptions, type TlsOptions } from "./server.js";
export { createGreeter, DEFAULT_REPLY_COUNT, type CallScope, type Greeter, type GreeterObserver, type GreeterOptions, type GreetingEnd } from "./hello/greeter.js";
export { callScopeOf, downstreamCallOptions, type DownstreamCallOptions } from "./call-scope.js";
export { createRoutes, type RoutesOptions } from "./routes.js";
export { createHealthStatus, type HealthStatus, type ServingStatus, type ServingStatusListener } from "./health/health-status.js";
export { REQUEST_ID_HEADER, requestIdKey } from "./request-id.js";
export { parseTraceparent, TRACEPARENT_HEADER, traceContextKey, type TraceContext } from "./observability/traceparent.js";
export { connectionInfoKey, type ConnectionInfo } from "./observability/connection-info.js";
export { readEnv, type Env } from "./env.js";
export { serverOptionsFromEnv } from "./server-options-from-env.js";
