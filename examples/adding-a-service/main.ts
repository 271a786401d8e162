/**
 * Adding a service: `todo.v1.TodoService` (proto/todo/v1/todo.proto, generated into
 * @hello/sdk by `pnpm generate`) registered with one line, then called over every protocol.
 * It always starts a server of its own: the point is the registration.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { createClient, type ClientProtocol } from "@hello/client";
import { TodoService } from "@hello/sdk/todo/v1";
import { createServer } from "@hello/server";
import { createTodoService, createTodoStore } from "./todo-service.js";

const store = createTodoStore();
const server = createServer({
  port: 0,
  host: "127.0.0.1",
  // The one registration line: one service instance behind every protocol.
  routes: (router) => router.service(TodoService, createTodoService(store)),
});
await server.listen();

const protocols: ClientProtocol[] = ["grpc", "grpc-web", "connect"];
const clients = protocols.map((protocol) => createClient(TodoService, { baseUrl: server.url, protocol }));
try {
  // Written over one protocol, read over the next: the same store behind all three.
  for (const [i, client] of clients.entries()) {
    const { todo } = await client.createTodo({ title: `task over ${protocols[i]}` });
    const reader = clients[(i + 1) % clients.length]!;
    const read = await reader.getTodo({ id: todo?.id ?? "" });
    console.log(`${protocols[i]} wrote ${todo?.id}, ${protocols[(i + 1) % clients.length]} read "${read.todo?.title}"`);
  }
  const listed: string[] = [];
  for await (const { todo } of clients[0]!.listTodos({})) listed.push(todo?.id ?? "");
  console.log(`listed: ${listed.join(", ")}`);
  const invalid = await clients[2]!.createTodo({ title: "" }).catch((e: unknown) => ConnectError.from(e));
  console.log(`empty title: ${invalid instanceof ConnectError ? Code[invalid.code] : "accepted"}`);
  const services = server.services.map((service) => service.typeName).join(", ");
  console.log(`served: ${services}`);
  console.log(`OK adding-a-service: ${listed.length} to-dos, one store, three protocols`);
} finally {
  for (const client of clients) client.close();
  await server.close(1_000);
}
