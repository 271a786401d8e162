import type { JsonReadOptions, JsonWriteOptions } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import type { RetryOptions } from "./retry/retry-policy.js";

/** The wire protocols a client speaks: gRPC, gRPC-Web and Connect. */
export type ClientProtocol = "grpc" | "grpc-web" | "connect";

/** @deprecated Renamed: use {@link ClientProtocol}. */
export type HelloProtocol = ClientProtocol;

/** Default deadline of every call, unless the call or the options say otherwise. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** Gives the bearer token of each call: a fixed one, or one fetched (and refreshed) per call. */
export type TokenSource = string | (() => string | Promise<string>);

/** Options of `createClient` (and `createHelloClient`), in Node and in browsers. */
export interface ClientOptions {
  /** Server base URL, e.g. "http://127.0.0.1:8080". */
  baseUrl: string;
  /** Wire protocol. gRPC needs HTTP/2, so it is Node-only. */
  protocol: ClientProtocol;
  /**
   * Default deadline of each call in milliseconds; a call's own `timeoutMs` wins.
   * 0 means no default deadline. Default {@link DEFAULT_TIMEOUT_MS}.
   */
  timeoutMs?: number;
  /**
   * Headers sent with every call, unless the call sets the same key. Checked when the
   * client is created: reserved keys (`grpc-*`, `content-type`, …) and malformed values
   * throw a `ConnectError` with INVALID_ARGUMENT naming the key; `-bin` values are base64.
   */
  headers?: Record<string, string>;
  /**
   * Bearer token sent as `authorization: Bearer <token>` with every call that does not set
   * its own `authorization` header. A function is called for each call (and may be async),
   * e.g. to refresh an expiring token; if it throws, the call fails with UNAUTHENTICATED.
   */
  token?: TokenSource;
  /**
   * Makes the `x-request-id` of each call that does not already carry one. Default:
   * a random UUID. `false` sends none (the server then makes one).
   */
  requestId?: (() => string) | false;
  /**
   * Retries of calls to methods the proto declares side-effect-free or idempotent
   * (`option idempotency_level = NO_SIDE_EFFECTS` or `IDEMPOTENT`) that fail with
   * UNAVAILABLE — connection failures included (refused, reset, GOAWAY, REFUSED_STREAM: see
   * `normalizeTransportError`) — or RESOURCE_EXHAUSTED with a retry hint, within the call's
   * deadline: see `createRetryInterceptor`. Fields left out keep the defaults of
   * `DEFAULT_RETRY_POLICY` (5 attempts, 100 ms doubling up to 2 s). `false` turns retries
   * off. Default: on, with the defaults.
   */
  retry?: RetryOptions | false;
  /**
   * JSON instead of binary protobuf on the wire (Connect; in Node also gRPC and gRPC-Web, as
   * `application/grpc+json`). Default false.
   */
  useJson?: boolean;
  /**
   * protobuf-es JSON options for requests and responses, e.g. a `registry` so that
   * `google.protobuf.Any` can be read and written as JSON.
   */
  jsonOptions?: Partial<JsonReadOptions & JsonWriteOptions>;
  /**
   * Connect protocol: send calls of side-effect-free methods (`idempotency_level =
   * NO_SIDE_EFFECTS`) as cacheable GET requests. Default false.
   */
  useHttpGet?: boolean;
  /** Largest response message the client reads; larger ones fail with RESOURCE_EXHAUSTED. Default: connect's (4 GiB). */
  readMaxBytes?: number;
  /**
   * Compress request messages (gzip or br) above `compressMinBytes` (Node; default 1 KiB).
   * Node only: browsers send requests uncompressed.
   */
  sendCompression?: "gzip" | "br";
  /** More interceptors, run after the built-in ones and before retries (they see each call once). */
  interceptors?: Interceptor[];
  /**
   * An OpenTelemetry client span per call (RPC semantic conventions), a child of the active
   * span, with its trace context sent in the request headers through the registered
   * propagator (W3C `traceparent`): see `createOpenTelemetryInterceptor`. Nothing is
   * recorded or sent until the application registers an OpenTelemetry SDK. Default true;
   * false leaves the interceptor out.
   */
  openTelemetry?: boolean;
}

/** @deprecated Renamed: use {@link ClientOptions}. */
export type HelloClientOptions = ClientOptions;
