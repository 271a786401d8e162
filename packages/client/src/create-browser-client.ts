import type { DescService } from "@bufbuild/protobuf";
import { type Client, Code, ConnectError, createClient as createConnectClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { type ClientOptions, DEFAULT_TIMEOUT_MS } from "./client-options.js";
import { createClientInterceptors } from "./create-client-interceptors.js";
import { createOpenTelemetryInterceptor } from "./opentelemetry/create-opentelemetry-interceptor.js";
import { createRetryInterceptor } from "./retry/create-retry-interceptor.js";
import { guardCallHeaders } from "./transport/guard-call-headers.js";
import { observeStreamFailures } from "./transport/observe-stream-failures.js";

/** A typed client of one service; `close()` exists for parity with Node and does nothing. */
export type ServiceClient<S extends DescService> = Client<S> & { close(): void };

/**
 * Creates a typed client for browsers (fetch) of any generated service, over gRPC-Web or
 * Connect, with the same deadlines, token, request ids, header checks and retries as in
 * Node. gRPC itself is refused: browsers cannot read HTTP/2 trailers.
 *
 * @example
 * import { TodoService } from "@acme/todo-sdk";
 * const todos = createClient(TodoService, { baseUrl: location.origin, protocol: "connect" });
 * const { items } = await todos.listTodos({});
 */
export function createClient<S extends DescService>(service: S, options: ClientOptions): ServiceClient<S> {
  if (options.protocol === "grpc") {
    throw new ConnectError(
      'browsers cannot speak gRPC over HTTP/2 (no access to trailers): use protocol "grpc-web" or "connect"',
      Code.InvalidArgument,
    );
  }
  const interceptors = [
    ...(options.openTelemetry === false ? [] : [createOpenTelemetryInterceptor({ baseUrl: options.baseUrl, protocol: options.protocol })]),
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
    ...(options.readMaxBytes !== undefined ? { readMaxBytes: options.readMaxBytes } : {}),
    ...(options.jsonOptions !== undefined ? { jsonOptions: options.jsonOptions } : {}),
    useBinaryFormat: !options.useJson,
  };
  const transport =
    options.protocol === "grpc-web"
      ? createGrpcWebTransport(common)
      : createConnectTransport({ ...common, ...(options.useHttpGet ? { useHttpGet: true } : {}) });
  return Object.assign(createConnectClient(service, observeStreamFailures(guardCallHeaders(transport))), { close() {} });
}
