// Smoke client of the compose stack: calls every RPC kind of hello.v1.HelloService through
// nginx — gRPC over HTTP/2 on one port, Connect and gRPC-Web over HTTP/1.1 on the other —
// prints one line per call and exits 1 on the first failure.
//
// It runs inside the server image, from /app (where docker-compose.yml mounts it), because
// the image's node_modules hold what it imports. To be replaced by the `hello` CLI.
//
//   node smoke-client.mjs http://nginx:8080 http://nginx:8081
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { HelloService } from "@hello/sdk";

const [h2cUrl = "http://nginx:8080", http1Url = "http://nginx:8081"] = process.argv.slice(2);
const callOptions = { timeoutMs: 5_000 };

async function* greetings(...texts) {
  for (const greeting of texts) yield { greeting };
}

/** Runs one call, prints what came back, and fails loudly when it is not what was expected. */
async function check(name, call, expected) {
  const got = await call();
  const ok = JSON.stringify(got) === JSON.stringify(expected);
  console.log(`${ok ? "ok  " : "FAIL"} ${name}: ${JSON.stringify(got)}`);
  if (!ok) throw new Error(`${name}: expected ${JSON.stringify(expected)}`);
}

const collect = async (stream) => {
  const replies = [];
  for await (const { reply } of stream) replies.push(reply);
  return replies;
};

const grpc = createClient(HelloService, createGrpcTransport({ baseUrl: h2cUrl }));
const connect = createClient(HelloService, createConnectTransport({ baseUrl: http1Url, httpVersion: "1.1" }));
const grpcWeb = createClient(HelloService, createGrpcWebTransport({ baseUrl: http1Url, httpVersion: "1.1" }));

try {
  await check("grpc unary SayHello", async () => (await grpc.sayHello({ greeting: "compose" }, callOptions)).reply, "Hello, compose!");
  await check(
    "grpc server-streaming LotsOfReplies",
    () => collect(grpc.lotsOfReplies({ greeting: "compose", replyCount: 2 }, callOptions)),
    ["Hello, compose! (reply 1 of 2)", "Hello, compose! (reply 2 of 2)"],
  );
  await check(
    "grpc client-streaming LotsOfGreetings",
    async () => (await grpc.lotsOfGreetings(greetings("a", "b"), callOptions)).reply,
    "Hello, a, b!",
  );
  await check("grpc bidi BidiHello", () => collect(grpc.bidiHello(greetings("a", "b"), callOptions)), ["Hello, a!", "Hello, b!"]);
  await check(
    "connect (HTTP/1.1) unary SayHello",
    async () => (await connect.sayHello({ greeting: "connect" }, callOptions)).reply,
    "Hello, connect!",
  );
  await check(
    "grpc-web (HTTP/1.1) server-streaming LotsOfReplies",
    () => collect(grpcWeb.lotsOfReplies({ greeting: "web", replyCount: 2 }, callOptions)),
    ["Hello, web! (reply 1 of 2)", "Hello, web! (reply 2 of 2)"],
  );
  console.log("smoke: all calls passed");
  process.exit(0);
} catch (error) {
  console.error(`smoke: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
