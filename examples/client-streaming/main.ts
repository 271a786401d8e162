/**
 * Client streaming: many requests, one response — LotsOfGreetings answers once the client
 * has sent every greeting and closed its side of the stream.
 */
import { createHelloClient } from "@hello/client";
import { startOrConnect } from "../shared/hello-server.js";

/** The request stream: greetings sent one by one; returning ends the client's side. */
async function* greetings(names: readonly string[]) {
  for (const name of names) {
    console.log(`send: ${name}`);
    yield { greeting: name };
  }
}

const server = await startOrConnect();
// Client streams need HTTP/2 (gRPC, or Connect over HTTP/2: the default).
const client = createHelloClient({ baseUrl: server.url, protocol: "grpc" });
try {
  const { reply } = await client.lotsOfGreetings(greetings(["Alice", "Bob", "Carol"]), { timeoutMs: 5_000 });
  console.log(`reply: ${reply}`);
  console.log(`OK client-streaming: ${reply}`);
} finally {
  client.close();
  await server.close();
}
