import type { Interceptor } from "@connectrpc/connect";

/** The wire protocols the hello server speaks. */
export type HelloProtocol = "grpc" | "grpc-web" | "connect";

/** Default deadline of every call, unless the call or the options say otherwise. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** Options of `createHelloClient`, in Node and in browsers. */
export interface HelloClientOptions {
  /** Server base URL, e.g. "http://127.0.0.1:8080". */
  baseUrl: string;
  /** Wire protocol. gRPC needs HTTP/2, so it is Node-only. */
  protocol: HelloProtocol;
  /**
   * Default deadline of each call in milliseconds; a call's own `timeoutMs` wins.
   * 0 means no default deadline. Default {@link DEFAULT_TIMEOUT_MS}.
   */
  timeoutMs?: number;
  /** Headers sent with every call (e.g. `{ authorization: "Bearer …" }`). */
  headers?: Record<string, string>;
  /**
   * Makes the `x-request-id` of each call that does not already carry one. Default:
   * a random UUID. `false` sends none (the server then makes one).
   */
  requestId?: (() => string) | false;
  /** Connect protocol only: JSON instead of binary protobuf on the wire. Default false. */
  useJson?: boolean;
  /** Compress request messages (gzip or br) above 1 KiB. Responses are always accepted compressed. */
  sendCompression?: "gzip" | "br";
  /** More interceptors, run after the built-in ones. */
  interceptors?: Interceptor[];
}
