/**
 * `createClient` against a real hello server on 127.0.0.1 (port 0), over gRPC, gRPC-Web and
 * Connect, HTTP/1.1 and HTTP/2: HelloService's four method kinds, another generated service
 * (Health), and HelloService as described at run time by the server's reflection, the way
 * `hello call` uses it. The finer behaviour of createHelloClient (retries, deadlines,
 * metadata, channel) is in client.integration.test.ts.
 */
import { type DescMethod, type DescService, fromJson, type JsonObject, type Message, toJson } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient as createConnectClient } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus, HelloService } from "@hello/sdk";
import { createHelloServer, type GreetingEnd, type HelloServer } from "@hello/server";
import { createReflectionSchema } from "./cli/reflection-schema.js";
import { createServerReflection } from "./cli/server-reflection.js";
import { createClient, createNodeTransport, type NodeClientOptions } from "./index.js";

let server: HelloServer;
const ends: { method: string; end: GreetingEnd }[] = [];
const closers: (() => void)[] = [];

// When a client cancels a stream the server is writing to, connect-node's adapter may log
// Node's ERR_STREAM_DESTROYED / ERR_HTTP2_INVALID_STREAM from jest's realm as a failed
// handler (see client.integration.test.ts). Only those lines are dropped.
const consoleError = console.error.bind(console);
beforeAll(async () => {
  jest.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
    const clientWentAway =
      typeof args[0] === "string" &&
      args[0].startsWith("handler for rpc ") &&
      /ERR_STREAM_DESTROYED|ERR_HTTP2_INVALID_STREAM/.test(String(args[1]));
    if (!clientWentAway) consoleError(...args);
  });
  server = createHelloServer({
    port: 0,
    host: "127.0.0.1",
    greeter: { observer: { ended: (method, end) => ends.push({ method, end }) } },
  });
  await server.listen();
});

afterAll(async () => {
  for (const close of closers) close();
  jest.restoreAllMocks();
  await server.close(1_000);
});

const variants = [
  { name: "gRPC", options: { protocol: "grpc" }, http2: true },
  { name: "gRPC-Web over HTTP/1.1", options: { protocol: "grpc-web", httpVersion: "1.1" }, http2: false },
  { name: "gRPC-Web over HTTP/2", options: { protocol: "grpc-web", httpVersion: "2" }, http2: true },
  { name: "Connect over HTTP/1.1", options: { protocol: "connect", httpVersion: "1.1" }, http2: false },
  { name: "Connect over HTTP/2", options: { protocol: "connect", httpVersion: "2" }, http2: true },
] as const satisfies { name: string; options: Omit<NodeClientOptions, "baseUrl">; http2: boolean }[];

/** A client of `service` on the test server, closed after the suite. */
function clientOf<S extends DescService>(service: S, options: Omit<NodeClientOptions, "baseUrl">) {
  const client = createClient(service, { baseUrl: server.url, ...options });
  closers.push(() => client.close());
  return client;
}

async function* greetings(...names: string[]) {
  for (const greeting of names) yield { greeting };
}

async function errorOf(run: () => Promise<unknown>): Promise<ConnectError> {
  try {
    await run();
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected the call to fail");
}

describe.each(variants)("createClient() over $name", ({ options, http2 }) => {
  it("calls HelloService's unary, server-streaming and client-streaming methods", async () => {
    const hello = clientOf(HelloService, options);
    await expect(hello.sayHello({ greeting: "unary" })).resolves.toMatchObject({ reply: "Hello, unary!" });
    const replies: string[] = [];
    for await (const { reply } of hello.lotsOfReplies({ greeting: "s", replyCount: 2 })) replies.push(reply);
    expect(replies).toEqual(["Hello, s! (reply 1 of 2)", "Hello, s! (reply 2 of 2)"]);
    await expect(hello.lotsOfGreetings(greetings("Ann", "Bob"))).resolves.toMatchObject({ reply: "Hello, Ann, Bob!" });
  });

  it(http2 ? "calls a bidi stream" : "refuses a bidi stream with UNIMPLEMENTED (HTTP/1.1 cannot carry one)", async () => {
    const hello = clientOf(HelloService, options);
    const call = async () => {
      const replies: string[] = [];
      for await (const { reply } of hello.bidiHello(greetings("one", "two"))) replies.push(reply);
      return replies;
    };
    if (http2) {
      await expect(call()).resolves.toEqual(["Hello, one!", "Hello, two!"]);
    } else {
      expect((await errorOf(call)).code).toBe(Code.Unimplemented);
    }
  });

  it("calls another generated service: grpc.health.v1.Health", async () => {
    const health = clientOf(Health, options);
    const response = await health.check({ service: "hello.v1.HelloService" });
    expect(response.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });

  it("calls HelloService as the server's reflection describes it, with JSON in and out", async () => {
    // Reflection is a bidi stream: it needs HTTP/2, whatever the variant calls with.
    const lookup = createNodeTransport({ baseUrl: server.url, protocol: "grpc" });
    closers.push(() => lookup.close());
    const reflection = createServerReflection((service) => createConnectClient(service, lookup.transport), {});
    const { desc: method, registry } = await createReflectionSchema(reflection).method({
      service: "hello.v1.HelloService",
      method: "SayHello",
    });
    expect(method).not.toBe(HelloService.method.sayHello);
    const client = clientOf(method.parent, options) as unknown as Record<string, (req: Message) => Promise<Message>>;
    const call = client[method.localName];
    const response = await call?.(fromJson(method.input, { greeting: "reflected" } satisfies JsonObject, { registry }));
    expect(toJson((method as DescMethod).output, response as Message, { registry })).toEqual({ reply: "Hello, reflected!" });
  });
});

describe.each(variants.filter((v) => v.http2))("createClient() over $name, cancelled", ({ options }) => {
  it("ends a bidi stream on the server as aborted when its signal aborts", async () => {
    const hello = clientOf(HelloService, options);
    const stop = new AbortController();
    const from = ends.length;
    async function* untilStopped() {
      yield { greeting: "first" };
      await new Promise(() => {});
    }
    const error = await errorOf(async () => {
      for await (const _ of hello.bidiHello(untilStopped(), { signal: stop.signal })) stop.abort();
    });
    expect(error.code).toBe(Code.Canceled);
    for (let i = 0; i < 300 && ends.length === from; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(ends.slice(from)).toEqual([{ method: "BidiHello", end: "aborted" }]);
  });
});
