import { createContextKey } from "@connectrpc/connect";
import type { SpanContext } from "@opentelemetry/api";

/**
 * Context key under which interceptors and handlers (and the call log) find the trace
 * context of a call: the server span's when an OpenTelemetry SDK is registered, else the
 * caller's, from a valid `traceparent` request header; undefined when there is neither.
 * Set by the OpenTelemetry interceptor. Inside a handler, `trace.getActiveSpan()` gives the
 * span itself (with an SDK).
 */
export const spanContextKey = createContextKey<SpanContext | undefined>(undefined, {
  description: "OpenTelemetry span context",
});
