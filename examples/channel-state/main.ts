/**
 * Channel state: a Node client's HTTP/2 connection is observable, in gRPC's terms — idle
 * (no connection), connecting, open, error. `client.channel` reports each change, can
 * connect ahead of the first call, and closes; the next call reconnects.
 */
import { createHelloClient } from "@hello/client";
import { startOrConnect } from "../shared/hello-server.js";

const server = await startOrConnect();
const client = createHelloClient({ baseUrl: server.url, protocol: "grpc" });
const channel = client.channel;
if (channel === undefined) throw new Error("gRPC always runs over HTTP/2, so the client has a channel");
try {
  const states = [channel.state()];
  console.log(`state: ${channel.state()}`);
  const stopListening = channel.onStateChange((state, previous) => {
    console.log(`changed: ${previous} -> ${state}`);
    states.push(state);
  });

  await channel.connect(); // Optional: the first call would connect too.
  await channel.waitForState("open", { timeoutMs: 5_000 });
  const { reply } = await client.sayHello({ greeting: "channel" }, { timeoutMs: 5_000 });
  console.log(`reply: ${reply} (state ${channel.state()})`);

  client.close(); // Closes the connection; a later call would open a new one.
  stopListening();
  console.log(`OK channel-state: ${states.join(" -> ")}`);
} finally {
  client.close();
  await server.close();
}
