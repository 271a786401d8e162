/**
 * Metadata: headers a call sends and receives, ASCII and binary (`-bin` keys, base64 on
 * the wire). The hello server echoes `x-echo-*` request headers back as response headers,
 * answers with the call's `x-request-id`, and ends with an `x-reply-count` trailer.
 */
import { binaryHeaderValues, createCallHeaders, createHelloClient, requestIdOf } from "@hello/client";
import { startOrConnect } from "../shared/hello-server.js";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

const server = await startOrConnect();
const client = createHelloClient({ baseUrl: server.url, protocol: "grpc" });
try {
  // Checked up front: reserved keys (grpc-*) or non-ASCII text would throw INVALID_ARGUMENT here.
  const headers = createCallHeaders({
    ascii: { "x-echo-tenant": "acme" },
    binary: { "x-echo-trace-bin": new Uint8Array([0x00, 0xff, 0x10]) },
    requestId: "example-42",
  });
  console.log(`sent: x-echo-tenant=acme, x-echo-trace-bin=00ff10 (on the wire: ${headers.get("x-echo-trace-bin")})`);

  let responseHeaders = new Headers();
  let trailers = new Headers();
  const { reply } = await client.sayHello(
    { greeting: "metadata" },
    { headers, timeoutMs: 5_000, onHeader: (h) => (responseHeaders = h), onTrailer: (t) => (trailers = t) },
  );
  console.log(`reply: ${reply}`);

  const tenant = responseHeaders.get("x-echo-tenant");
  const trace = binaryHeaderValues(responseHeaders, "x-echo-trace-bin").map(hex).join(",");
  const requestId = requestIdOf(responseHeaders);
  const replyCount = trailers.get("x-reply-count");
  console.log(`header x-echo-tenant: ${tenant}`);
  console.log(`header x-echo-trace-bin: ${trace}`);
  console.log(`header x-request-id: ${requestId}`);
  console.log(`trailer x-reply-count: ${replyCount}`);
  console.log(`OK metadata: x-echo-tenant=${tenant} x-echo-trace-bin=${trace} x-request-id=${requestId} x-reply-count=${replyCount}`);
} finally {
  client.close();
  await server.close();
}
