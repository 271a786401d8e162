/**
 * Cancellation: aborting a call's `signal` ends it at once with CANCELED, on the client
 * and on the server, which stops sending (its handler's signal fires too).
 */
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { createHelloClient } from "@hello/client";
import { startOrConnect } from "../shared/hello-server.js";

const server = await startOrConnect();
const client = createHelloClient({ baseUrl: server.url, protocol: "grpc" });
try {
  const abort = new AbortController();
  let received = 0;
  let code = "OK";
  try {
    // A hundred replies, 100 ms apart: ten seconds, unless someone cancels.
    const replies = client.lotsOfReplies(
      { greeting: "world", replyCount: 100, replyInterval: durationFromMs(100) },
      { signal: abort.signal, timeoutMs: 10_000 },
    );
    for await (const { reply } of replies) {
      received++;
      console.log(`reply: ${reply}`);
      if (received === 2) {
        console.log("cancelling");
        abort.abort();
      }
    }
  } catch (e) {
    code = Code[ConnectError.from(e).code];
  }
  console.log(`OK cancellation: ${code} after ${received} replies`);
} finally {
  client.close();
  await server.close();
}
