/**
 * Compression: the client gzips request messages above `compressMinBytes`
 * (`sendCompression`), and the server compresses its responses for clients that accept
 * gzip or br (the default). An interceptor shows the encoding each request goes out with
 * (connect sets the header before interceptors run); the response headers show the one
 * the server answered with.
 */
import type { Interceptor } from "@connectrpc/connect";
import { createHelloClient, type NodeHelloClientOptions } from "@hello/client";
import { startOrConnect } from "../shared/hello-server.js";

let requestEncoding = "";
const recordRequestEncoding: Interceptor = (next) => (req) => {
  requestEncoding = req.header.get("grpc-encoding") ?? "identity";
  return next(req);
};

const server = await startOrConnect();
// A greeting of 1,000 characters: a request worth compressing, and replies of over 1 KiB.
const greeting = "compress me ".repeat(84).slice(0, 1_000);
const clients: Record<string, Partial<NodeHelloClientOptions>> = {
  "sendCompression gzip": { sendCompression: "gzip", compressMinBytes: 256 },
  // Note: a client that sends gzip can always receive it (the server answers in the
  // request's encoding when the client names none), so this one sends uncompressed too.
  "acceptCompression false": { acceptCompression: false },
};
const seen: string[] = [];
for (const [name, options] of Object.entries(clients)) {
  const client = createHelloClient({ baseUrl: server.url, protocol: "grpc", interceptors: [recordRequestEncoding], ...options });
  try {
    let responseEncoding = "";
    const replies = client.lotsOfReplies(
      { greeting, replyCount: 2 },
      { timeoutMs: 5_000, onHeader: (h) => (responseEncoding = h.get("grpc-encoding") ?? "identity") },
    );
    let received = 0;
    for await (const { reply } of replies) {
      if (!reply.startsWith(`Hello, ${greeting}!`)) throw new Error("the reply changed in transit");
      received++;
    }
    console.log(`${name}: request ${requestEncoding}, response ${responseEncoding}, ${received} replies intact`);
    seen.push(`${requestEncoding}/${responseEncoding}`);
  } finally {
    client.close();
  }
}
await server.close();
console.log(`OK compression: ${seen.join(", ")}`);
