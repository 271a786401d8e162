/**
 * Unary: one request, one response — SayHello over each of the server's three protocols.
 */
import { createHelloClient, type HelloProtocol } from "@hello/client";
import { startOrConnect } from "../shared/hello-server.js";

const server = await startOrConnect();
const protocols: HelloProtocol[] = ["grpc", "grpc-web", "connect"];
let last = "";
for (const protocol of protocols) {
  const client = createHelloClient({ baseUrl: server.url, protocol });
  try {
    const { reply } = await client.sayHello({ greeting: "world" }, { timeoutMs: 5_000 });
    console.log(`${protocol}: ${reply}`);
    last = reply;
  } finally {
    client.close();
  }
}
await server.close();
console.log(`OK unary: ${last}`);
