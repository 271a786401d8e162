/**
 * Server streaming: one request, many responses — LotsOfReplies sends `replyCount` replies
 * `replyInterval` apart, and reports how many in the `x-reply-count` trailer.
 */
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { createHelloClient } from "@hello/client";
import { startOrConnect } from "../shared/hello-server.js";

const server = await startOrConnect();
const client = createHelloClient({ baseUrl: server.url, protocol: "grpc" });
try {
  let received = 0;
  let trailerCount: string | null = null;
  const replies = client.lotsOfReplies(
    { greeting: "world", replyCount: 3, replyInterval: durationFromMs(100) },
    { timeoutMs: 5_000, onTrailer: (trailer) => (trailerCount = trailer.get("x-reply-count")) },
  );
  // Each reply arrives as the server sends it, 100 ms apart.
  for await (const { reply } of replies) {
    received++;
    console.log(`reply: ${reply}`);
  }
  console.log(`OK server-streaming: ${received} replies, x-reply-count=${trailerCount}`);
} finally {
  client.close();
  await server.close();
}
