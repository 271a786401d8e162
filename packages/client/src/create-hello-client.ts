import { type Client, createClient } from "@connectrpc/connect";
import {
  compressionBrotli,
  compressionGzip,
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import { HelloService } from "@hello/sdk";
import { createClientInterceptors } from "./create-client-interceptors.js";
import { DEFAULT_TIMEOUT_MS, type HelloClientOptions } from "./hello-client-options.js";

/** Options of the Node client: the common ones plus the HTTP version. */
export interface NodeHelloClientOptions extends HelloClientOptions {
  /**
   * HTTP version for gRPC-Web and Connect; gRPC always uses HTTP/2. Default "2": every
   * call of the client shares one multiplexed connection.
   */
  httpVersion?: "1.1" | "2";
}

/** A typed HelloService client that owns its connection. */
export type HelloClient = Client<typeof HelloService> & {
  /** Closes the client's HTTP/2 connection, if any; later calls open a new one. */
  close(): void;
};

/**
 * Creates a typed HelloService client for Node.
 *
 * @example
 * const client = createHelloClient({ baseUrl: "http://127.0.0.1:8080", protocol: "grpc" });
 * const { reply } = await client.sayHello({ greeting: "hi" });
 * for await (const { reply } of client.lotsOfReplies({ greeting: "hi", replyCount: 3 })) {}
 * client.close();
 */
export function createHelloClient(options: NodeHelloClientOptions): HelloClient {
  const httpVersion = options.protocol === "grpc" ? "2" : (options.httpVersion ?? "2");
  const sessionManager =
    httpVersion === "2" ? new Http2SessionManager(options.baseUrl) : undefined;
  const interceptors = [
    ...createClientInterceptors({
      halfDuplexOnly: httpVersion === "1.1",
      ...(options.headers ? { headers: options.headers } : {}),
      ...(options.requestId !== undefined ? { requestId: options.requestId } : {}),
    }),
    ...(options.interceptors ?? []),
  ];
  const common = {
    baseUrl: options.baseUrl,
    interceptors,
    // 0 turns the default deadline off.
    ...(options.timeoutMs === 0 ? {} : { defaultTimeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS }),
    acceptCompression: [compressionGzip, compressionBrotli],
    ...(options.sendCompression
      ? { sendCompression: options.sendCompression === "gzip" ? compressionGzip : compressionBrotli }
      : {}),
  };
  const http =
    sessionManager !== undefined
      ? ({ httpVersion: "2", sessionManager } as const)
      : ({ httpVersion: "1.1" } as const);
  const transport =
    options.protocol === "grpc"
      ? createGrpcTransport({ ...common, ...(sessionManager ? { sessionManager } : {}) })
      : options.protocol === "grpc-web"
        ? createGrpcWebTransport({ ...common, ...http })
        : createConnectTransport({ ...common, ...http, useBinaryFormat: !options.useJson });
  const client = createClient(HelloService, transport);
  return Object.assign(client, {
    close() {
      sessionManager?.abort();
    },
  });
}
