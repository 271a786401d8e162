import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as http2 from "node:http2";
import type * as net from "node:net";
import { Code, cors as connectCors, createConnectRouter, type Interceptor } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, connectNodeAdapter } from "@connectrpc/connect-node";
import { createValidateInterceptor } from "@connectrpc/validate";
import { createGreeter, type GreeterOptions } from "./hello/greeter.js";
import { createSharedPortServer } from "./http/shared-port-server.js";
import { type NodeRequest, type NodeResponse, protocolOf, writeRpcError } from "./http/write-rpc-error.js";
import { createErrorBoundaryInterceptor, type ErrorBoundaryOptions } from "./interceptors/error-boundary.js";
import { REQUEST_ID_HEADER, requestIdFrom, requestIdKey } from "./request-id.js";
import { createRoutes } from "./routes.js";
import { createContextValues } from "@connectrpc/connect";

/** Largest request message the server reads: larger ones fail with RESOURCE_EXHAUSTED. */
export const DEFAULT_READ_MAX_BYTES = 4 * 1024 * 1024;

/** TLS material, as file paths. With TLS the port speaks HTTPS and negotiates h2 or http/1.1. */
export interface TlsOptions {
  certFile: string;
  keyFile: string;
}

/** Options of {@link createHelloServer}. */
export interface HelloServerOptions {
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
  /** Largest request message in bytes. Default {@link DEFAULT_READ_MAX_BYTES}. */
  readMaxBytes?: number;
  /** Options of the greeting logic (tests inject an observer or a fake sleep). */
  greeter?: GreeterOptions;
  /** Where unexpected handler errors are reported. */
  onUnexpectedError?: ErrorBoundaryOptions["onUnexpectedError"];
  /** Extra interceptors, run inside the built-in ones. */
  interceptors?: Interceptor[];
  /** Closes connections that have not sent their first bytes in this time. Default 10 s. */
  firstBytesTimeoutMs?: number;
}

/** A running (or ready to run) hello server. */
export interface HelloServer {
  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number>;
  /** The bound port; 0 before `listen` resolves. */
  readonly port: number;
  /** Base URL for clients, e.g. "http://127.0.0.1:8080". */
  readonly url: string;
  /**
   * Stops taking connections and calls, lets in-flight calls finish for up to `graceMs`
   * (default 5 s), then closes what is left.
   */
  close(graceMs?: number): Promise<void>;
  /** The request handler, for mounting into another Node server. */
  readonly handler: (req: NodeRequest, res: NodeResponse) => void;
}

/**
 * Creates the server: every service from {@link createRoutes}, over gRPC, gRPC-Web and
 * Connect, HTTP/1.1 and HTTP/2 on one port, with CORS, request ids, validation,
 * compression and size limits.
 *
 * @example
 * const server = createHelloServer({ port: 0 });
 * const port = await server.listen();
 * // … createHelloClient({ baseUrl: server.url, protocol: "grpc" })
 * await server.close();
 */
export function createHelloServer(options: HelloServerOptions = {}): HelloServer {
  const routes = createRoutes({ greeter: createGreeter(options.greeter) });
  const bidiPaths = bidiPathsOf(routes);

  const interceptors: Interceptor[] = [
    createErrorBoundaryInterceptor(
      options.onUnexpectedError ? { onUnexpectedError: options.onUnexpectedError } : {},
    ),
    createValidateInterceptor(),
    ...(options.interceptors ?? []),
  ];

  const rpcHandler = connectNodeAdapter({
    routes,
    interceptors,
    readMaxBytes: options.readMaxBytes ?? DEFAULT_READ_MAX_BYTES,
    acceptCompression: [compressionGzip, compressionBrotli],
    contextValues: (req) =>
      createContextValues().set(requestIdKey, String(req.headers[REQUEST_ID_HEADER] ?? "")),
    fallback: (req, res) => {
      const path = (req.url ?? "").split("?", 1)[0];
      writeRpcError(req, res as NodeResponse, Code.Unimplemented, `unknown method ${path}`);
    },
  });

  const allowedOrigins = options.corsOrigins ?? [];
  const cors = createCorsHandler(allowedOrigins);

  const handler = (req: NodeRequest, res: NodeResponse): void => {
    // Every response carries the call's request id, errors from the protocol layer included.
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    req.headers[REQUEST_ID_HEADER] = requestId;
    res.setHeader(REQUEST_ID_HEADER, requestId);
    if (cors(req, res)) {
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

  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  let listener: net.Server;
  if (options.tls) {
    const secure = http2.createSecureServer(
      {
        cert: readFileSync(options.tls.certFile),
        key: readFileSync(options.tls.keyFile),
        allowHTTP1: true,
        // ALPN: prefer h2, fall back to HTTP/1.1 for older clients.
        ALPNProtocols: ["h2", "http/1.1"],
      },
      handler,
    );
    secure.on("session", (s) => trackSession(s));
    listener = secure;
  } else {
    const h1 = http.createServer(handler);
    const h2 = http2.createServer({}, handler);
    h2.on("session", (s) => trackSession(s));
    listener = createSharedPortServer({
      http1: h1,
      http2: h2,
      ...(options.firstBytesTimeoutMs !== undefined
        ? { firstBytesTimeoutMs: options.firstBytesTimeoutMs }
        : {}),
    });
  }
  listener.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  listener.on("secureConnection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  function trackSession(session: http2.ServerHttp2Session) {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  }

  let port = 0;
  const host = options.host ?? "::";
  const scheme = options.tls ? "https" : "http";

  return {
    handler,
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
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
      // GOAWAY: no new streams on open HTTP/2 connections; open streams may finish.
      for (const session of sessions) {
        session.close();
      }
      const deadline = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
        for (const session of sessions) session.destroy();
      }, graceMs);
      deadline.unref();
      const idleCheck = setInterval(() => {
        // HTTP/1.1 keep-alive sockets with no request in flight can go now.
        for (const socket of sockets) {
          if (!(socket as net.Socket & { _httpMessage?: unknown })._httpMessage && !isHttp2(socket)) {
            socket.destroy();
          }
        }
      }, 50);
      idleCheck.unref();
      await closed;
      clearInterval(idleCheck);
      clearTimeout(deadline);
    },
  };

  function isHttp2(socket: net.Socket): boolean {
    for (const session of sessions) {
      if (session.socket === (socket as unknown)) return true;
    }
    return false;
  }
}

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
 * Collects the request paths of bidirectional methods, which HTTP/1.1 cannot carry.
 */
function bidiPathsOf(routes: (router: ReturnType<typeof createConnectRouter>) => void): Set<string> {
  const router = createConnectRouter();
  routes(router);
  return new Set(
    router.handlers.filter((h) => h.method.methodKind === "bidi_streaming").map((h) => h.requestPath),
  );
}

/**
 * CORS for browsers: answers preflights and decorates responses for allowed origins, with
 * the headers connect's protocols need (from `@connectrpc/connect`'s `cors` constants) plus
 * our request id. Returns true when the request was a preflight and has been answered.
 */
function createCorsHandler(allowed: readonly string[] | "*") {
  const allowMethods = connectCors.allowedMethods.join(", ");
  const allowHeaders = [...connectCors.allowedHeaders, REQUEST_ID_HEADER, "authorization", "traceparent"].join(", ");
  const exposeHeaders = [...connectCors.exposedHeaders, REQUEST_ID_HEADER, "x-reply-count"].join(", ");
  const isAllowed = (origin: string) => allowed === "*" || allowed.includes(origin);
  return (req: NodeRequest, res: NodeResponse): boolean => {
    const origin = req.headers.origin;
    if (typeof origin !== "string" || !isAllowed(origin)) {
      return false;
    }
    res.setHeader("access-control-allow-origin", allowed === "*" ? "*" : origin);
    res.setHeader("vary", "origin");
    res.setHeader("access-control-expose-headers", exposeHeaders);
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
}
