import { setMaxListeners } from "node:events";
import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as http2 from "node:http2";
import type * as net from "node:net";
import type { DescService } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ConnectRouterOptions,
  cors as connectCors,
  type Interceptor,
} from "@connectrpc/connect";
import { createValidateInterceptor } from "@connectrpc/validate";
import { createHealthStatus, type HealthStatus } from "./health/health-status.js";
import { createGreeter, type GreeterOptions } from "./hello/greeter.js";
import { type ConnectionLimits, createConnectionManager, DEFAULT_CONNECTION_LIMITS } from "./http/connection-manager.js";
import { createStaticFileHandler } from "./http/serve-static.js";
import { createRpcHandler } from "./http/create-rpc-handler.js";
import { createSharedPortServer } from "./http/shared-port-server.js";
import { dropResetStreams } from "./http/drop-reset-streams.js";
import { acceptedCompression } from "./http/accepted-compression.js";
import { neverIndexHeaders } from "./http/never-index-headers.js";
import { type NodeRequest, type NodeResponse, protocolOf, writeRpcError } from "./http/write-rpc-error.js";
import { useStreamTable } from "./http/stream-table.js";
import { createErrorBoundaryInterceptor, type ErrorBoundaryOptions } from "./interceptors/error-boundary.js";
import { type ConnectionInfo, connectionInfoKey, connectionInfoOf, sessionConnectionInfoOf } from "./observability/connection-info.js";
import { createObservability } from "./observability/observability.js";
import { createOpenTelemetryInterceptor } from "./observability/opentelemetry-interceptor.js";
import { REQUEST_ID_HEADER, requestIdFrom, requestIdKey } from "./request-id.js";
import { createRoutes } from "./routes.js";
import { createServiceRouter } from "./service-router.js";
import { REPLY_COUNT_TRAILER } from "./services/hello-service.js";
import { routeHttp2Streams } from "./fast-path/route-http2-streams.js";
import { createFastPath, type FastPathProtocol } from "./fast-path/fast-path.js";
import { createContextValues } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { Registry } from "prom-client";

/** Largest request message the server reads: larger ones fail with RESOURCE_EXHAUSTED. */
export const DEFAULT_READ_MAX_BYTES = 4 * 1024 * 1024;

/**
 * TLS material. With TLS the port speaks HTTPS and negotiates h2 or http/1.1. The
 * certificate and key come as PEM, either in memory (`cert`, `key`) or from files
 * (`certFile`, `keyFile`, read once by `createServer`); the in-memory value wins when both
 * are given.
 *
 * With `clientCa` (or `clientCaFile`) the server also authenticates its clients (mutual
 * TLS): every client must present a certificate issued by one of those CAs, or its
 * handshake fails and no request is read.
 *
 * @example
 * createServer({ tls: { certFile: "tls.crt", keyFile: "tls.key", clientCaFile: "clients-ca.crt" } });
 */
export interface TlsOptions {
  /** The server's certificate chain, PEM. */
  cert?: string | Buffer;
  /** The server's private key, PEM. */
  key?: string | Buffer;
  /** File of the server's certificate chain, PEM (when `cert` is unset). */
  certFile?: string;
  /** File of the server's private key, PEM (when `key` is unset). */
  keyFile?: string;
  /**
   * CA certificates, PEM (one or more, concatenated), that issue the client certificates the
   * server accepts. Setting it (or `clientCaFile`) requires a client certificate on every
   * connection. Default: none, clients are not asked for a certificate.
   */
  clientCa?: string | Buffer;
  /** File of {@link TlsOptions.clientCa} (when `clientCa` is unset). */
  clientCaFile?: string;
}

/** Options of {@link createServer}. */
export interface ServerOptions {
  /**
   * Registers the application's services: the same function connect-node's
   * `connectNodeAdapter` takes. It runs exactly once; every service it registers is served
   * over every protocol and HTTP version, with health, reflection, validation, metrics, the
   * call log and the fast path. Default: none (health and reflection only).
   */
  routes?: (router: ConnectRouter) => void;
  /** TCP port; 0 picks a free one (see `HelloServer.port` after `listen`). Default 8080. */
  port?: number;
  /** Interface to bind. Default "::" (every interface, IPv4 and IPv6). */
  host?: string;
  /** Serve TLS instead of cleartext. */
  tls?: TlsOptions;
  /**
   * Origins allowed to call from a browser: exact origins, or "*" for any. Default: none
   * (CORS preflights are refused; same-origin and non-browser clients are unaffected).
   */
  corsOrigins?: readonly string[] | "*";
  /**
   * Response headers and trailers of the application's services that browsers may read
   * (`access-control-expose-headers`), besides the protocols' own and `x-request-id`. Each
   * name is also exposed with the `trailer-` prefix Connect unary gives trailers. Default none.
   */
  corsExposedHeaders?: readonly string[];
  /**
   * Request headers browsers may send (`access-control-allow-headers`), besides the
   * protocols' own, `x-request-id`, `authorization` and `traceparent`. Default none.
   */
  corsAllowedHeaders?: readonly string[];
  /** Largest request message in bytes. Default {@link DEFAULT_READ_MAX_BYTES}. */
  readMaxBytes?: number;
  /**
   * connect's JSON options for every service, on connect's path and the fast path alike: a
   * `registry` to read and write `google.protobuf.Any` in JSON, `ignoreUnknownFields`, …
   */
  jsonOptions?: ConnectRouterOptions["jsonOptions"];
  /** connect's binary options for every service (e.g. `readUnknownFields`), on both paths. */
  binaryOptions?: ConnectRouterOptions["binaryOptions"];
  /** Serve gRPC server reflection (v1 and v1alpha) for every registered service. Default true. */
  reflection?: boolean;
  /** Where unexpected handler errors are reported. */
  onUnexpectedError?: ErrorBoundaryOptions["onUnexpectedError"];
  /** Extra interceptors, run inside the built-in ones. */
  interceptors?: Interceptor[];
  /** Connection limits and timeouts; unset fields keep {@link DEFAULT_CONNECTION_LIMITS}. */
  limits?: Partial<ConnectionLimits>;
  /**
   * A directory of static files (the built browser playground), served on GET and HEAD for
   * paths that are not RPC paths (`/<package>.<Service>/<Method>`). Default: none.
   */
  staticDir?: string;
  /**
   * Structured logging through pino: one JSON line per call and every unexpected error
   * with its stack (docs/observability.md). Default false: nothing is logged.
   */
  logger?: Logger | false;
  /**
   * Prometheus metrics at `GET /metrics`: true (default) for a registry of this server's
   * own with the RPC and process metrics; a `Registry` to add the RPC metrics to; false
   * for none.
   */
  metrics?: boolean | Registry;
  /**
   * Answer unary gRPC and Connect calls, and server-streaming gRPC calls, over HTTP/2 (and
   * unary Connect and gRPC-Web calls over HTTP/1.1) on a fast path in front of connect: the
   * same handlers and interceptors, connect's wire behaviour, a fraction of the cost
   * (docs/design.md, "Fast path over HTTP/2"). It builds on connect's internal
   * protocol exports, so it is one of the {@link internals}. Default: `internals`; false
   * sends every call through connect.
   */
  fastPath?: boolean;
  /**
   * The one switch for every trick on a private API of Node, connect or pino
   * (docs/design.md, "Internals"): the fast path (connect's internal protocol exports, EventEmitter's
   * listener fields), Node's HTTP/2 stream table replaced (`useStreamTable`), response
   * headers marked never-indexed through a wrapped `stream.respond`, and the call log's
   * direct writer (pino's symbols). Each also checks, at run time, that what it relies on is
   * there, and falls back to the public way when it is not. false turns them all off:
   * public APIs only, the same bytes on the wire, more CPU per call. Default true
   * (`HELLO_RPC_INTERNALS=off` in the environment of `main.ts`).
   */
  internals?: boolean;
  /**
   * An OpenTelemetry server span per call (RPC semantic conventions), parented to the
   * caller's trace context, with the handler running in it: see
   * `createOpenTelemetryInterceptor`. Nothing is recorded until the application registers
   * an OpenTelemetry SDK. Default true; false leaves the interceptor out (the call log then
   * has no trace ids).
   */
  openTelemetry?: boolean;
}

/** Options of {@link createHelloServer}: the server's, with the greeter's instead of routes. */
export interface HelloServerOptions extends Omit<ServerOptions, "routes"> {
  /** Options of the greeting logic (tests inject an observer or a fake sleep). */
  greeter?: GreeterOptions;
}

/** A running (or ready to run) server. */
export interface Server {
  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number>;
  /** The bound port; 0 before `listen` resolves. */
  readonly port: number;
  /** Base URL for clients, e.g. "http://127.0.0.1:8080". */
  readonly url: string;
  /**
   * Graceful shutdown: health turns NOT_SERVING, new connections and calls are refused
   * (GOAWAY on HTTP/2, UNAVAILABLE for requests that still arrive), calls in flight may
   * finish for up to `graceMs` (default 5 s); calls still running then end with
   * UNAVAILABLE "server is shutting down", and every connection is closed.
   */
  close(graceMs?: number): Promise<void>;
  /** The request handler, for mounting into another Node server. */
  readonly handler: (req: NodeRequest, res: NodeResponse) => void;
  /**
   * What `grpc.health.v1.Health` reports: "" and every registered service are SERVING until
   * `close` begins, which sets them all NOT_SERVING before draining.
   */
  readonly health: HealthStatus;
  /** The registered services, the platform's (health, reflection) included, in registration order. */
  readonly services: readonly DescService[];
}

/** The server {@link createHelloServer} returns. */
export type HelloServer = Server;

/**
 * The hello server: {@link createServer} with the application's routes
 * ({@link createRoutes}: `hello.v1.HelloService`) and its `x-reply-count` trailer exposed to
 * browsers.
 *
 * @example
 * const server = createHelloServer({ port: 0 });
 * const port = await server.listen();
 * // … createHelloClient({ baseUrl: server.url, protocol: "grpc" })
 * await server.close();
 */
export function createHelloServer(options: HelloServerOptions = {}): Server {
  const { greeter, ...rest } = options;
  return createServer({
    corsExposedHeaders: [REPLY_COUNT_TRAILER],
    ...rest,
    routes: createRoutes({ greeter: createGreeter(greeter) }),
  });
}

/**
 * Creates a server for the services `routes` registers (and health and reflection), over
 * gRPC, gRPC-Web and Connect, HTTP/1.1 and HTTP/2 on one port, with CORS, request ids,
 * validation, compression, size limits, metrics, the call log and graceful shutdown.
 *
 * @example
 * const server = createServer({
 *   port: 0,
 *   routes: (router) => router.service(TodoService, createTodoService({ store })),
 * });
 * const port = await server.listen();
 * // … createClient(TodoService, { baseUrl: server.url, protocol: "grpc" })
 * await server.close();
 */
export function createServer(options: ServerOptions = {}): Server {
  const health = createHealthStatus();
  const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...options.limits };
  const connections = createConnectionManager(limits);
  // Aborted when the grace period of a shutdown is over: every handler's signal fires, and
  // calls still running end with this status.
  const shutdown = new AbortController();
  // Every call in flight links its signal to this one: no listener limit (Node warns at 10).
  setMaxListeners(0, shutdown.signal);

  const internals = options.internals ?? true;
  if (options.fastPath === true && !internals) {
    throw new Error("fastPath needs internals: the fast path builds on connect's internal protocol exports");
  }
  const observability = createObservability({
    directCallLog: internals,
    logger: options.logger ?? false,
    metrics: options.metrics ?? true,
    onUnexpectedError: options.onUnexpectedError,
  });

  const interceptors: Interceptor[] = [
    ...(options.openTelemetry === false ? [] : [createOpenTelemetryInterceptor()]),
    ...observability.interceptors,
    createErrorBoundaryInterceptor(observability.onUnexpectedError ? { onUnexpectedError: observability.onUnexpectedError } : {}),
    createValidateInterceptor(),
    ...(options.interceptors ?? []),
  ];

  const readMaxBytes = options.readMaxBytes ?? DEFAULT_READ_MAX_BYTES;
  const acceptCompression = [...acceptedCompression];
  // The routes run here, once: connect's handler, the fast path, health, reflection and the
  // bidi check all serve the same service instances.
  // One set of router options for connect's router and the fast path, so both serve alike.
  const routerOptions: ConnectRouterOptions = {
    interceptors,
    readMaxBytes,
    acceptCompression,
    shutdownSignal: shutdown.signal,
    ...(options.jsonOptions !== undefined ? { jsonOptions: options.jsonOptions } : {}),
    ...(options.binaryOptions !== undefined ? { binaryOptions: options.binaryOptions } : {}),
  };
  const { router, fastPathMethods, services, bidiPaths } = createServiceRouter({
    ...routerOptions,
    routes: options.routes ?? (() => {}),
    health,
    ...(options.reflection !== undefined ? { reflection: options.reflection } : {}),
  });

  const contextValuesOf = (headers: NodeRequest["headers"], connection: ConnectionInfo) =>
    createContextValues()
      .set(requestIdKey, String(headers[REQUEST_ID_HEADER] ?? ""))
      .set(connectionInfoKey, connection);

  const rpcHandler = createRpcHandler({
    router,
    contextValues: (req) => contextValuesOf(req.headers, connectionInfoOf(req)),
    fallback: (req, res) => {
      const path = (req.url ?? "").split("?", 1)[0];
      writeRpcError(req, res, Code.Unimplemented, `unknown method ${path}`);
    },
    // A response that could not be written, and not because the client left: a server fault.
    onResponseError: observability.onUnexpectedError ?? ((error, procedure) => console.error(`response of ${procedure} failed`, error)),
  });

  const allowedOrigins = options.corsOrigins ?? [];
  const cors = createCorsHandler(allowedOrigins, options.corsExposedHeaders ?? [], options.corsAllowedHeaders ?? []);
  const staticFiles = options.staticDir === undefined ? undefined : createStaticFileHandler(options.staticDir);

  const handler = (req: NodeRequest, res: NodeResponse): void => {
    // Every response carries the call's request id, errors from the protocol layer included.
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    req.headers[REQUEST_ID_HEADER] = requestId;
    connections.trackRequest(req, res);
    // Unary Connect and gRPC-Web calls over HTTP/1.1 it recognises take the fast path here,
    // with the headers set below given as its base headers (`admitHttp1`, which declines
    // while draining). HTTP/2 calls took it before this handler: see below.
    if (
      fastPath !== undefined &&
      req.httpVersionMajor === 1 &&
      fastPath.serveHttp1(req as http.IncomingMessage, res as http.ServerResponse)
    ) {
      return;
    }
    res.setHeader(REQUEST_ID_HEADER, requestId);
    if (internals && res instanceof http2.Http2ServerResponse) neverIndexHeaders(res.stream, NEVER_INDEXED);
    if (connections.draining) {
      if (req.httpVersionMajor === 1) res.setHeader("connection", "close");
      writeRpcError(req, res, Code.Unavailable, SHUTTING_DOWN);
      return;
    }
    if (cors.handle(req, res)) {
      return;
    }
    if (observability.serveMetrics(req, res)) {
      return;
    }
    if (staticFiles?.(req, res)) {
      return;
    }
    offerCompression(req, res);
    const path = (req.url ?? "").split("?", 1)[0] ?? "";
    if (req.httpVersionMajor === 1 && bidiPaths.has(path)) {
      // HTTP/1.1 cannot stream requests and responses at the same time.
      writeRpcError(
        req,
        res,
        Code.Unimplemented,
        `${path} is a bidirectional stream and needs HTTP/2; this request came over HTTP/1.1`,
        505,
      );
      return;
    }
    rpcHandler(req, res);
  };

  // Calls over HTTP/2 that it recognises take the fast path before `handler` (see
  // routeHttp2Streams): same routes, interceptors and limits, and what `handler` does
  // first — request id, CORS headers, offered encodings. Calls while draining stay with
  // `handler`. (HTTP/1.1 calls take it inside `handler`, above.)
  const fastPath = !(options.fastPath ?? internals)
    ? undefined
    : createFastPath({
        ...routerOptions,
        methods: fastPathMethods,
        contextValues: (headers, stream) => contextValuesOf(headers, sessionConnectionInfoOf(stream.session)),
        contextValuesHttp1: (req) => contextValuesOf(req.headers, connectionInfoOf(req)),
        admit: (_stream, headers, protocol) => {
          if (connections.draining) return undefined;
          const requestId = requestIdFrom(headers[REQUEST_ID_HEADER]);
          headers[REQUEST_ID_HEADER] = requestId;
          // No trackRequest: it counts HTTP/1.1 requests only; HTTP/2 sessions drain by GOAWAY.
          const base = baseHeadersOf(requestId, headers.origin, protocol);
          (base as Record<symbol, unknown>)[http2.sensitiveHeaders] = NEVER_INDEXED;
          return base;
        },
        // `handler` has set the request id and tracks the request.
        admitHttp1: (req, protocol) =>
          connections.draining ? undefined : baseHeadersOf(req.headers[REQUEST_ID_HEADER] as string, req.headers.origin, protocol),
      });

  /**
   * The headers `handler` sets on a fast-path call's response before connect answers, in its
   * order: the request id, the CORS headers of an allowed origin, the offered encodings.
   * Literal keys (REQUEST_ID_HEADER, checked below): computed keys made V8 define each
   * property through the runtime, on every call.
   */
  const baseHeadersOf = (requestId: string, origin: string | undefined, protocol: FastPathProtocol): http2.OutgoingHttpHeaders => {
    const corsHeaders = origin === undefined ? undefined : cors.headersFor(origin);
    return corsHeaders !== undefined
      ? protocol === "connect"
        ? { "x-request-id": requestId, ...corsHeaders, "accept-encoding": ACCEPTED_ENCODINGS }
        : { "x-request-id": requestId, ...corsHeaders, "grpc-accept-encoding": ACCEPTED_ENCODINGS }
      : protocol === "connect"
        ? { "x-request-id": requestId, "accept-encoding": ACCEPTED_ENCODINGS }
        : { "x-request-id": requestId, "grpc-accept-encoding": ACCEPTED_ENCODINGS };
  };

  // Every HTTP/2 session, cleartext or TLS: before any stream opens, Node's stream map is
  // replaced (see useStreamTable: a GC pathology of that map), then limits apply.
  const onSession = (session: http2.ServerHttp2Session) => {
    if (internals) useStreamTable(session);
    connections.watchSession(session);
  };

  let listener: net.Server;
  if (options.tls) {
    const secure = http2.createSecureServer(
      {
        ...connections.http2Options,
        ...secureContextOf(options.tls),
        allowHTTP1: true,
        handshakeTimeout: limits.firstRequestTimeoutMs,
        // ALPN: prefer h2, fall back to HTTP/1.1 for older clients.
        ALPNProtocols: ["h2", "http/1.1"],
      },
      handler,
    );
    secure.on("session", onSession);
    if (fastPath) routeHttp2Streams(secure, fastPath.serve);
    dropResetStreams(secure);
    listener = secure;
  } else {
    const h1 = http.createServer(connections.http1Options, handler);
    connections.watchHttp1(h1);
    const h2 = http2.createServer(connections.http2Options, handler);
    if (fastPath) routeHttp2Streams(h2, fastPath.serve);
    dropResetStreams(h2);
    h2.on("session", onSession);
    connections.watchHttp2(h2);
    listener = createSharedPortServer({
      http1: h1,
      http2: h2,
      firstBytesTimeoutMs: limits.firstRequestTimeoutMs,
    });
  }
  connections.watchListener(listener, options.tls !== undefined);

  let port = 0;
  const host = options.host ?? "::";
  const scheme = options.tls ? "https" : "http";

  return {
    handler,
    health,
    services,
    get port() {
      return port;
    },
    get url() {
      const shown = host === "::" || host === "0.0.0.0" ? "127.0.0.1" : host;
      return `${scheme}://${shown.includes(":") ? `[${shown}]` : shown}:${port}`;
    },
    listen() {
      return new Promise((resolve, reject) => {
        listener.once("error", reject);
        listener.listen(options.port ?? 8080, host, () => {
          listener.off("error", reject);
          const address = listener.address();
          port = typeof address === "object" && address ? address.port : 0;
          resolve(port);
        });
      });
    },
    async close(graceMs = 5_000) {
      // Tell health checkers first, so that load balancers stop sending calls while we drain.
      health.shutdown();
      await connections.drain(graceMs, () => shutdown.abort(new ConnectError(`${SHUTTING_DOWN}: grace period over`, Code.Unavailable)));
    },
  };
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}

/** The message of calls refused or ended by a shutdown. */
const SHUTTING_DOWN = "server is shutting down";

/**
 * Response headers HPACK must not add to its dynamic table: a request id is new on every
 * response, so indexing it only evicts the entries that do repeat (content type, accepted
 * encodings), which then go out in full again — measured at ~7 % of the server's CPU per
 * unary call under load. Sent as "literal, never indexed", which tells proxies the same.
 */
const NEVER_INDEXED: readonly string[] = Object.freeze([REQUEST_ID_HEADER]);
// The fast path's admit writes the request id header's name literally.
REQUEST_ID_HEADER satisfies "x-request-id";

/** The compression algorithms the server accepts, offered to every gRPC and Connect client. */
const ACCEPTED_ENCODINGS = "gzip, br";

/**
 * Advertises the accepted message encodings in the request protocol's own header, so
 * clients know they may compress (connect only does so after a failed negotiation).
 */
function offerCompression(req: NodeRequest, res: NodeResponse): void {
  const header =
    protocolOf(req) !== "connect"
      ? "grpc-accept-encoding"
      : String(req.headers["content-type"]).startsWith("application/connect+")
        ? "connect-accept-encoding" // Connect streaming
        : "accept-encoding"; // Connect unary: plain HTTP content negotiation
  res.setHeader(header, ACCEPTED_ENCODINGS);
}

/**
 * CORS for browsers: answers preflights and decorates responses for allowed origins, with
 * the headers connect's protocols need (from `@connectrpc/connect`'s `cors` constants) plus
 * our request id. `handle` returns true when the request was a preflight and has been
 * answered; `headersFor` gives the headers it sets on a response for an origin (undefined
 * when the origin is not allowed), for the fast path to send the same.
 */
function createCorsHandler(allowed: readonly string[] | "*", exposed: readonly string[], extraAllowed: readonly string[]) {
  const allowMethods = connectCors.allowedMethods.join(", ");
  const allowHeaders = unique([
    ...connectCors.allowedHeaders,
    REQUEST_ID_HEADER,
    "authorization",
    "traceparent",
    ...extraAllowed.map((name) => name.toLowerCase()),
  ]).join(", ");
  // Connect unary sends trailers as "trailer-"-prefixed headers, which browsers only show when exposed.
  const exposeHeaders = unique([
    ...connectCors.exposedHeaders,
    REQUEST_ID_HEADER,
    ...exposed.flatMap((name) => [name.toLowerCase(), `trailer-${name.toLowerCase()}`]),
  ]).join(", ");
  // Per allowed origin, made once (bounded: the allowed origins, or the one "*" answer).
  const byOrigin = new Map<string, Readonly<Record<string, string>>>();
  const headersFor = (origin: string | string[] | undefined): Readonly<Record<string, string>> | undefined => {
    if (typeof origin !== "string" || !(allowed === "*" || allowed.includes(origin))) return undefined;
    const key = allowed === "*" ? "*" : origin;
    let headers = byOrigin.get(key);
    if (headers === undefined) {
      headers = Object.freeze({
        "access-control-allow-origin": key,
        vary: "origin",
        "access-control-expose-headers": exposeHeaders,
      });
      byOrigin.set(key, headers);
    }
    return headers;
  };
  const handle = (req: NodeRequest, res: NodeResponse): boolean => {
    const headers = headersFor(req.headers.origin);
    if (headers === undefined) {
      return false;
    }
    for (const name in headers) res.setHeader(name, headers[name] as string);
    if (req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined) {
      res.setHeader("access-control-allow-methods", allowMethods);
      res.setHeader("access-control-allow-headers", allowHeaders);
      res.setHeader("access-control-max-age", "7200");
      res.writeHead(204);
      res.end();
      return true;
    }
    return false;
  };
  return { handle, headersFor };
}

/**
 * Node's secure-context options for {@link TlsOptions}: the certificate and key from memory
 * or their files, and with a client CA, a certificate required from every client and
 * verified against it (a handshake without one, or with one the CA did not issue, fails).
 */
function secureContextOf(tls: TlsOptions): Pick<http2.SecureServerOptions, "cert" | "key" | "ca" | "requestCert" | "rejectUnauthorized"> {
  const cert = tls.cert ?? (tls.certFile === undefined ? undefined : readFileSync(tls.certFile));
  const key = tls.key ?? (tls.keyFile === undefined ? undefined : readFileSync(tls.keyFile));
  if (cert === undefined || key === undefined) throw new Error("tls needs a certificate and a key: cert or certFile, and key or keyFile");
  const clientCa = tls.clientCa ?? (tls.clientCaFile === undefined ? undefined : readFileSync(tls.clientCaFile));
  if (clientCa === undefined) return { cert, key };
  return { cert, key, ca: clientCa, requestCert: true, rejectUnauthorized: true };
}
