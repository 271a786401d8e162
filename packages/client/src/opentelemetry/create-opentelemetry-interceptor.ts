import { Code, ConnectError, type Interceptor, type StreamResponse } from "@connectrpc/connect";
import {
  type Attributes,
  context,
  propagation,
  ProxyTracerProvider,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapSetter,
  type Tracer,
  type TracerProvider,
  trace,
} from "@opentelemetry/api";
import type { ClientProtocol } from "../client-options.js";

/** The instrumentation scope of the client's spans. */
export const CLIENT_TRACER_NAME = "@hello/client";

/** Options of {@link createOpenTelemetryInterceptor}. */
export interface OpenTelemetryInterceptorOptions {
  /** The client's base URL: `server.address` and `server.port` of its spans. */
  baseUrl: string;
  /** The client's wire protocol: `rpc.system` is "grpc" for gRPC and gRPC-Web, "connect_rpc" for Connect. */
  protocol: ClientProtocol;
}

/** Writes propagation fields (`traceparent`, `tracestate`, …) into connect's request `Headers`. */
const headersSetter: TextMapSetter<Headers> = {
  set: (headers, key, value) => headers.set(key, value),
};

/**
 * An interceptor that makes an OpenTelemetry client span per call, following the RPC
 * semantic conventions (https://opentelemetry.io/docs/specs/semconv/rpc/): named
 * `<package.Service>/<Method>`, kind CLIENT, a child of the active span (inside a server
 * handler: the server's span), with `rpc.system`, `rpc.service`, `rpc.method`,
 * `server.address`, `server.port` and `rpc.grpc.status_code` or `rpc.connect_rpc.error_code`;
 * any status but OK marks it as an error. The globally registered propagator injects its
 * trace context into the request headers (W3C `traceparent` with the SDK's defaults), so
 * the server's span becomes its child. A unary span ends with the response; a streaming
 * span when the response stream ends, fails or is closed early.
 *
 * Until the application registers an OpenTelemetry SDK (a tracer provider) it does
 * nothing but ask whether one is there. `createClient` adds it outermost (retries are
 * attempts within one span); `openTelemetry: false` leaves it out.
 */
export function createOpenTelemetryInterceptor(options: OpenTelemetryInterceptorOptions): Interceptor {
  const tracers = createTracerCache(CLIENT_TRACER_NAME);
  const system = options.protocol === "connect" ? "connect_rpc" : "grpc";
  const server = serverOf(options.baseUrl);
  return (next) => (req) => {
    const tracer = tracers.current();
    if (tracer === undefined) return next(req);
    const attributes: Attributes = {
      "rpc.system": system,
      "rpc.service": req.service.typeName,
      "rpc.method": req.method.name,
      ...server,
    };
    const parent = context.active();
    const span = tracer.startSpan(`${req.service.typeName}/${req.method.name}`, { kind: SpanKind.CLIENT, attributes }, parent);
    propagation.inject(trace.setSpan(parent, span), req.header, headersSetter);
    let pending;
    try {
      pending = next(req);
    } catch (error) {
      endSpan(span, system, error);
      throw error;
    }
    return pending.then(
      (res) => {
        if (!res.stream) {
          endSpan(span, system, undefined);
          return res;
        }
        return { ...res, message: new TracedStream(res.message, span, system) } as StreamResponse as typeof res;
      },
      (error: unknown) => {
        endSpan(span, system, error);
        throw error;
      },
    );
  };
}

/** `server.address` and `server.port` of a base URL (the scheme's default port when it names none). */
function serverOf(baseUrl: string): Attributes {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return {};
  }
  const address = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port !== "" ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
  return { "server.address": address, "server.port": port };
}

function endSpan(span: Span, system: string, error: unknown): void {
  const connectError = error === undefined ? undefined : ConnectError.from(error);
  const code = connectError?.code ?? 0;
  if (system === "grpc") {
    span.setAttribute("rpc.grpc.status_code", code);
  } else if (code !== 0) {
    span.setAttribute("rpc.connect_rpc.error_code", connectErrorCodeOf(code));
  }
  if (connectError !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: connectError.rawMessage });
  span.end();
}

/** A code as the Connect protocol spells it: "not_found", "deadline_exceeded", … */
function connectErrorCodeOf(code: Code): string {
  return (Code[code] ?? "unknown").replace(/(?<=[a-z])(?=[A-Z])/g, "_").toLowerCase();
}

/**
 * The response stream, ending the span once: at its end, on its error, or CANCELED when
 * closed early. An iterator object, not an async generator: a generator closed before its
 * first `next()` never runs its `finally`.
 */
class TracedStream<T> implements AsyncIterable<T>, AsyncIterator<T> {
  private readonly source: AsyncIterator<T>;
  private ended = false;

  constructor(
    iterable: AsyncIterable<T>,
    private readonly span: Span,
    private readonly system: string,
  ) {
    this.source = iterable[Symbol.asyncIterator]();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<T>> {
    let result: IteratorResult<T>;
    try {
      result = await this.source.next();
    } catch (error) {
      this.end(error);
      throw error;
    }
    if (result.done === true) this.end(undefined);
    return result;
  }

  async return(value?: unknown): Promise<IteratorResult<T>> {
    this.end(new ConnectError("response stream closed before its end", Code.Canceled));
    return this.source.return ? this.source.return(value) : { done: true, value: undefined };
  }

  private end(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    endSpan(this.span, this.system, error);
  }
}

/**
 * The tracer of the registered SDK, or undefined while none is registered: asked on every
 * call (an SDK may be registered after the client is made), at the cost of two property
 * reads while there is none.
 */
function createTracerCache(name: string): { current(): Tracer | undefined } {
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
