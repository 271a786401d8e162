import { createContextKey } from "@connectrpc/connect";

/**
 * The caller's trace context, from a valid W3C `traceparent` request header.
 * https://www.w3.org/TR/trace-context/#traceparent-header
 */
export interface TraceContext {
  /** Two lowercase hex digits; "00" today. */
  readonly version: string;
  /** 32 lowercase hex digits, never all zeros. */
  readonly traceId: string;
  /** The caller's span (16 lowercase hex digits, never all zeros): the parent of our work. */
  readonly parentId: string;
  /** The trace flags byte; bit 0 is "sampled". */
  readonly traceFlags: number;
}

/** The request header that carries a W3C trace context. */
export const TRACEPARENT_HEADER = "traceparent";

/**
 * Context key under which handlers and interceptors find the call's trace context:
 * `ctx.values.get(traceContextKey)`, undefined when the call came without a valid
 * `traceparent`.
 */
export const traceContextKey = createContextKey<TraceContext | undefined>(undefined, {
  description: "W3C trace context",
});

// version "-" trace-id "-" parent-id "-" trace-flags, lowercase hex only (§3.2.2).
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const ZERO_TRACE_ID = "0".repeat(32);
const ZERO_PARENT_ID = "0".repeat(16);
const VERSION_00_LENGTH = 55;

/**
 * Parses a `traceparent` header value. Anything invalid yields undefined, as the spec asks
 * (the header is then ignored): wrong length or case, version "ff", an all-zero trace or
 * parent id, or several headers. A future version (> 00) may carry more fields after a
 * "-"; only the version-00 fields are read from it (§3.2.4, "versioning of traceparent").
 */
export function parseTraceparent(header: string | readonly string[] | null | undefined): TraceContext | undefined {
  if (typeof header !== "string" || header.length < VERSION_00_LENGTH) {
    return undefined;
  }
  const version = header.slice(0, 2);
  if (version === "ff") {
    return undefined;
  }
  if (header.length > VERSION_00_LENGTH && (version === "00" || header[VERSION_00_LENGTH] !== "-")) {
    return undefined;
  }
  const head = header.length === VERSION_00_LENGTH ? header : header.slice(0, VERSION_00_LENGTH);
  if (!TRACEPARENT.test(head)) {
    return undefined;
  }
  const traceId = head.slice(3, 35);
  const parentId = head.slice(36, 52);
  if (traceId === ZERO_TRACE_ID || parentId === ZERO_PARENT_ID) {
    return undefined;
  }
  return { version, traceId, parentId, traceFlags: Number.parseInt(head.slice(53, 55), 16) };
}
