import type { DescService } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import type { ClientChannel } from "./channel/create-client-channel.js";
import { createNodeTransport } from "./create-node-transport.js";
import { createPromiseClient } from "./create-promise-client.js";
import type { NodeClientOptions } from "./node-client-options.js";

/** A typed client of one service that owns its connection. */
export type ServiceClient<S extends DescService> = Client<S> & {
  /**
   * The client's HTTP/2 connection: state, changes, connect and close. Undefined over
   * HTTP/1.1 (`httpVersion: "1.1"`), where Node opens and pools connections per request.
   */
  readonly channel: ClientChannel | undefined;
  /** Closes the client's HTTP/2 connection, if any; later calls open a new one. */
  close(): void;
};

/**
 * Creates a typed client for Node of any generated service (or a descriptor built at run
 * time, e.g. from server reflection), with deadlines, retries of idempotent methods (read
 * from each method's `idempotency_level`), request ids, a bearer token, compression,
 * keepalive, an observable HTTP/2 channel and transport errors normalised to gRPC codes.
 * Clients of several services that should share one connection use
 * `createNodeTransport` with connect's `createClient` instead.
 *
 * @example
 * import { TodoService } from "@acme/todo-sdk";
 * const todos = createClient(TodoService, { baseUrl: "http://127.0.0.1:8080", protocol: "grpc", token });
 * const { items } = await todos.listTodos({}, { timeoutMs: 1_000 });
 * todos.channel?.state(); // "open"
 * todos.close();
 */
export function createClient<S extends DescService>(service: S, options: NodeClientOptions): ServiceClient<S> {
  const { transport, channel, close } = createNodeTransport(options);
  return Object.assign(createPromiseClient(service, transport), { channel, close });
}
