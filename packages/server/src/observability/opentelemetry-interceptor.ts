import {
  type Attributes,
  type Context,
  context,
  propagation,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type Tracer,
  type TracerProvider,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { Code, ConnectError, type Interceptor, type StreamRequest, type StreamResponse, type UnaryRequest } from "@connectrpc/connect";
import { abortStateOf } from "../call-abort-state.js";
import { connectionInfoKey } from "./connection-info.js";
import { rpcProtocolOf } from "./rpc-protocol.js";
import { spanContextKey } from "./span-context.js";

/** The instrumentation scope of the server's spans. */
export const SERVER_TRACER_NAME = "@hello/server";

/** Reads W3C trace-context (and other propagators' fields) from connect's request `Headers`. */
const headersGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

/** Reads `traceparent` for the call log when the application registered no propagator. */
const w3cTraceContext = new W3CTraceContextPropagator();

/**
 * An interceptor that makes an OpenTelemetry server span per call, following the RPC
 * semantic conventions (https://opentelemetry.io/docs/specs/semconv/rpc/): named
 * `<package.Service>/<Method>`, kind SERVER, parented to the caller's trace context as the
 * globally registered propagator extracts it from the request headers, with `rpc.system`
 * ("grpc" for gRPC and gRPC-Web, "connect_rpc" for Connect), `rpc.service`, `rpc.method`,
 * `rpc.grpc.status_code` or `rpc.connect_rpc.error_code`, `server.address`/`server.port`
 * and `network.peer.address`/`network.peer.port`. The handler runs with the span active, so
 * a downstream call it makes (with `@hello/client`) is the span's child. Unary spans end when
 * the handler settles; streaming spans when the response stream ends, fails or is abandoned.
 *
 * Until the application registers an SDK (a tracer provider), no span is made: the
 * interceptor only reads a `traceparent` header, when there is one, so the call log can
 * still name the caller's trace (see {@link spanContextKey}).
 *
 * Put it outermost, so the status it records is the one the client gets.
 *
 * @example
 * // Application start-up, before the server takes calls:
 * new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] }).register();
 */
export function createOpenTelemetryInterceptor(): Interceptor {
  const tracers = createTracerCache(SERVER_TRACER_NAME);
  return (next) => (req) => {
    const tracer = tracers.current();
    if (tracer === undefined) {
      const traceparent = req.header.get("traceparent");
      if (traceparent !== null) req.contextValues.set(spanContextKey, callerSpanContext(req.header));
      return next(req);
    }
    const parent = propagation.extract(ROOT_CONTEXT, req.header, headersGetter);
    const protocol = protocolOf(req);
    const system = protocol === "connect" ? "connect_rpc" : "grpc";
    const span = tracer.startSpan(
      `${req.service.typeName}/${req.method.name}`,
      { kind: SpanKind.SERVER, attributes: attributesOf(req, system) },
      parent,
    );
    req.contextValues.set(spanContextKey, span.spanContext());
    const active = trace.setSpan(parent, span);
    const end = (error: unknown) => endSpan(span, system, error === undefined ? abortStateOf(req)?.reason : error);

    if (!req.stream) {
      let pending: ReturnType<typeof next>;
      try {
        pending = context.with(active, next, undefined, req);
      } catch (error) {
        end(error);
        return Promise.reject(error);
      }
      return pending.then(
        (res) => {
          end(undefined);
          return res;
        },
        (error: unknown) => {
          end(error);
          throw error;
        },
      );
    }
    return traceStream(next, req, active, end);
  };
}

/**
 * The tracer of the registered SDK, or undefined while none is registered: asked on every
 * call (an SDK may be registered after the server starts), at the cost of two property reads
 * while there is none.
 */
export function createTracerCache(name: string): { current(): Tracer | undefined } {
  let provider: TracerProvider | undefined;
  let tracer: Tracer | undefined;
  return {
    current() {
      const registered = delegateOf(trace.getTracerProvider());
      if (isNoop(registered)) return undefined;
      if (registered !== provider) {
        provider = registered;
        tracer = registered.getTracer(name);
      }
      return tracer;
    },
  };
}

const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

/** The provider behind the API's proxy (which is what the API hands out, registered or not). */
function delegateOf(provider: TracerProvider): TracerProvider {
  // Duck-typed: the proxy may come from another copy of @opentelemetry/api.
  const proxy = provider as Partial<Pick<ProxyTracerProvider, "getDelegate">>;
  return typeof proxy.getDelegate === "function" ? proxy.getDelegate() : provider;
}

function isNoop(provider: TracerProvider): boolean {
  return (
    provider === NOOP_PROVIDER || provider.constructor === NOOP_PROVIDER.constructor || provider.constructor.name === "NoopTracerProvider"
  );
}

/**
 * The caller's span context without an SDK: through the application's propagator if it
 * registered one, else W3C trace-context.
 */
function callerSpanContext(headers: Headers): SpanContext | undefined {
  const propagator = propagation.fields().length > 0 ? propagation : w3cTraceContext;
  return trace.getSpanContext(propagator.extract(ROOT_CONTEXT, headers, headersGetter));
}

/**
 * The wire protocol of a call: the fast path's calls name it (`protocolName`), connect's
 * requests are told by their content type.
 */
function protocolOf(req: UnaryRequest | StreamRequest): "grpc" | "grpc-web" | "connect" {
  const named = (req as { protocolName?: unknown }).protocolName;
  if (named === "grpc" || named === "grpc-web" || named === "connect") return named;
  return rpcProtocolOf(req.header.get("content-type"));
}

function attributesOf(req: UnaryRequest | StreamRequest, system: string): Attributes {
  const attributes: Attributes = {
    "rpc.system": system,
    "rpc.service": req.service.typeName,
    "rpc.method": req.method.name,
  };
  const authority = authorityOf(req.url);
  if (authority !== undefined) {
    attributes["server.address"] = authority.address;
    if (authority.port !== undefined) attributes["server.port"] = authority.port;
  }
  const connection = req.contextValues.get(connectionInfoKey);
  if (connection?.remoteAddress !== undefined) attributes["network.peer.address"] = connection.remoteAddress;
  if (connection?.remotePort !== undefined) attributes["network.peer.port"] = connection.remotePort;
  return attributes;
}

/** Host and port of an absolute URL, without building a `URL`. */
function authorityOf(url: string): { address: string; port: number | undefined } | undefined {
  const start = url.indexOf("//");
  if (start < 0) return undefined;
  const end = url.indexOf("/", start + 2);
  const authority = url.slice(start + 2, end < 0 ? undefined : end);
  // "[::1]:8080", "127.0.0.1:8080", "example.com"
  const colon = authority.lastIndexOf(":");
  if (colon < 0 || authority.endsWith("]")) return { address: stripBrackets(authority), port: undefined };
  const port = Number(authority.slice(colon + 1));
  return { address: stripBrackets(authority.slice(0, colon)), port: Number.isInteger(port) ? port : undefined };
}

function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/**
 * The gRPC codes a server span reports as an error (semantic conventions, "gRPC Status"):
 * the server's faults, not the client's mistakes.
 */
const SERVER_ERROR_CODES: ReadonlySet<Code> = new Set([
  Code.Unknown,
  Code.DeadlineExceeded,
  Code.Unimplemented,
  Code.Internal,
  Code.Unavailable,
  Code.DataLoss,
]);

function endSpan(span: Span, system: string, error: unknown): void {
  const code = error === undefined ? 0 : ConnectError.from(error).code;
  if (system === "grpc") {
    span.setAttribute("rpc.grpc.status_code", code);
  } else if (code !== 0) {
    span.setAttribute("rpc.connect_rpc.error_code", connectErrorCodeOf(code));
  }
  if (code !== 0 && SERVER_ERROR_CODES.has(code)) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: ConnectError.from(error).rawMessage });
  }
  span.end();
}

/** A code as the Connect protocol spells it: "not_found", "deadline_exceeded", … */
export function connectErrorCodeOf(code: Code): string {
  return (Code[code] ?? "unknown").replace(/(?<=[a-z])(?=[A-Z])/g, "_").toLowerCase();
}

async function traceStream(
  next: Parameters<Interceptor>[0],
  req: StreamRequest,
  active: Context,
  end: (error: unknown) => void,
): Promise<StreamResponse> {
  let res;
  try {
    res = await context.with(active, next, undefined, req);
  } catch (error) {
    end(error);
    throw error;
  }
  if (!res.stream) {
    end(undefined);
    return res as unknown as StreamResponse;
  }
  return { ...res, message: new TracedStream(res.message, active, end, req) };
}

/**
 * The response stream: each step runs with the span active (a streaming handler's body
 * runs as its stream is read, outside the interceptor), and the span ends once, when the
 * stream is done, fails or is closed early (CANCELED, or the call's abort reason).
 */
class TracedStream<T> implements AsyncIterable<T>, AsyncIterator<T> {
  private readonly source: AsyncIterator<T>;
  private ended = false;

  constructor(
    iterable: AsyncIterable<T>,
    private readonly active: Context,
    private readonly endSpan: (error: unknown) => void,
    private readonly req: StreamRequest,
  ) {
    this.source = context.with(active, () => iterable[Symbol.asyncIterator]());
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<T>> {
    let result: IteratorResult<T>;
    try {
      result = await context.with(this.active, () => this.source.next());
    } catch (error) {
      this.end(error);
      throw error;
    }
    if (result.done === true) this.end(undefined);
    return result;
  }

  async return(value?: unknown): Promise<IteratorResult<T>> {
    if (!this.ended && !this.req.signal.aborted) {
      this.end(new ConnectError("response stream closed before its end", Code.Canceled));
    }
    this.end(undefined);
    return this.source.return ? this.source.return(value) : { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<T>> {
    this.end(error);
    if (this.source.throw) return this.source.throw(error);
    throw error;
  }

  private end(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.endSpan(error);
  }
}
