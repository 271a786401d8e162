/**
 * Bidirectional streaming: BidiHello answers each greeting as soon as it arrives, while the
 * request stream is still open. Here the client sends the next greeting only after the
 * reply to the previous one, which only a full-duplex (HTTP/2) stream allows.
 */
import { createHelloClient } from "@hello/client";
import { startOrConnect } from "../shared/hello-server.js";

const server = await startOrConnect();
const client = createHelloClient({ baseUrl: server.url, protocol: "grpc" });
try {
  const names = ["ping", "pong", "ping again"];
  // A one-slot mailbox: the request stream waits in it until the previous reply is in.
  let replyArrived: () => void = () => {};
  async function* requests() {
    for (const name of names) {
      console.log(`send: ${name}`);
      yield { greeting: name };
      await new Promise<void>((resolve) => (replyArrived = resolve));
    }
  }
  const replies: string[] = [];
  for await (const { reply } of client.bidiHello(requests(), { timeoutMs: 5_000 })) {
    console.log(`recv: ${reply}`);
    replies.push(reply);
    replyArrived();
  }
  console.log(`OK bidi-streaming: ${replies.length} replies, each before the next greeting`);
} finally {
  client.close();
  await server.close();
}
