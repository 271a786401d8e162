import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { HelloService } from "@hello/sdk";
import { createClientInterceptors } from "./create-client-interceptors.js";
import { DEFAULT_TIMEOUT_MS, type HelloClientOptions } from "./hello-client-options.js";
import { createRetryInterceptor } from "./retry/create-retry-interceptor.js";
import { guardCallHeaders } from "./transport/guard-call-headers.js";

/** A typed HelloService client; `close()` exists for parity with Node and does nothing. */
export type HelloClient = Client<typeof HelloService> & { close(): void };

/**
 * Creates a typed HelloService client for browsers (fetch), over gRPC-Web or Connect, with
 * the same deadlines, token, request ids, header checks and retries as in Node.
 *
 * @example
 * const client = createHelloClient({ baseUrl: location.origin, protocol: "connect" });
 * const { reply } = await client.sayHello({ greeting: "hi" });
 */
export function createHelloClient(options: HelloClientOptions): HelloClient {
  if (options.protocol === "grpc") {
    throw new ConnectError(
      'browsers cannot speak gRPC over HTTP/2 (no access to trailers): use protocol "grpc-web" or "connect"',
      Code.InvalidArgument,
    );
  }
  const interceptors = [
    ...createClientInterceptors({
      // fetch cannot stream a request body while reading the response.
      halfDuplexOnly: true,
      ...(options.headers ? { headers: options.headers } : {}),
      ...(options.requestId !== undefined ? { requestId: options.requestId } : {}),
      ...(options.token !== undefined ? { token: options.token } : {}),
    }),
    ...(options.interceptors ?? []),
    createRetryInterceptor(options.retry ?? {}),
  ];
  const common = {
    baseUrl: options.baseUrl,
    interceptors,
    // 0 turns the default deadline off.
    ...(options.timeoutMs === 0 ? {} : { defaultTimeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS }),
  };
  const transport =
    options.protocol === "grpc-web"
      ? createGrpcWebTransport(common)
      : createConnectTransport({ ...common, useBinaryFormat: !options.useJson });
  return Object.assign(createClient(HelloService, guardCallHeaders(transport)), { close() {} });
}
