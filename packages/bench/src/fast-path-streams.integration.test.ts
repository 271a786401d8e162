/**
 * Client-streaming and bidi gRPC calls on the server's fast path, from real clients: the
 * @grpc/grpc-js client and @hello/client's gRPC transport against the hello server on a
 * port-0 socket. It lives in the bench package, the one workspace package that depends on
 * both clients and the server. Each call must take the fast path (its diagnostics
 * channel), so this fails where the server leaves these calls to connect's path.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { once } from "node:events";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { createClient } from "@hello/client";
import { type HelloRequest, HelloRequestSchema, type HelloResponse, HelloResponseSchema, HelloService } from "@hello/sdk";
import { createHelloServer, type GreetingEnd, type Server } from "@hello/server";

/** The fast path's diagnostics channel (FAST_PATH_CHANNEL in @hello/server's fast path). */
const FAST_PATH_CHANNEL = "hello-rpc:fast-path:call";
const LOTS_OF_GREETINGS = "/hello.v1.HelloService/LotsOfGreetings";
const BIDI_HELLO = "/hello.v1.HelloService/BidiHello";

const serialize = (message: HelloRequest) => Buffer.from(toBinary(HelloRequestSchema, message));
const deserialize = (bytes: Buffer): HelloResponse => fromBinary(HelloResponseSchema, bytes);
const hello = (greeting: string) => create(HelloRequestSchema, { greeting });

let server: Server;
let grpcClient: grpc.Client;
const taken: { path: string; protocol: string }[] = [];
const onTaken = (message: unknown) => taken.push(message as { path: string; protocol: string });
const ends: { method: string; end: GreetingEnd }[] = [];

beforeAll(async () => {
  subscribe(FAST_PATH_CHANNEL, onTaken);
  server = createHelloServer({
    port: 0,
    host: "127.0.0.1",
    fastPath: true,
    greeter: { observer: { ended: (method, end) => ends.push({ method, end }) } },
  });
  await server.listen();
  grpcClient = new grpc.Client(new URL(server.url).host, grpc.credentials.createInsecure());
});

afterAll(async () => {
  unsubscribe(FAST_PATH_CHANNEL, onTaken);
  grpcClient.close();
  await server.close(1_000);
});

beforeEach(() => {
  taken.length = 0;
});

describe("client-streaming and bidi gRPC calls on the fast path", () => {
  it("answers a grpc-js client stream", async () => {
    const reply = await new Promise<HelloResponse>((resolve, reject) => {
      const call = grpcClient.makeClientStreamRequest(LOTS_OF_GREETINGS, serialize, deserialize, (error, response) =>
        error || response === undefined ? reject(error) : resolve(response),
      );
      for (const greeting of ["a", "b", "c"]) call.write(hello(greeting));
      call.end();
    });
    expect(reply.reply).toBe("Hello, a, b, c!");
    expect(taken).toEqual([{ path: LOTS_OF_GREETINGS, protocol: "grpc" }]);
  });

  it("answers a grpc-js client stream of 2,000 messages (flow control on both sides)", async () => {
    const greeting = "g".repeat(500);
    const reply = await new Promise<HelloResponse>((resolve, reject) => {
      const call = grpcClient.makeClientStreamRequest(LOTS_OF_GREETINGS, serialize, deserialize, (error, response) =>
        error || response === undefined ? reject(error) : resolve(response),
      );
      void (async () => {
        for (let i = 0; i < 2_000; i++) if (!call.write(hello(greeting))) await once(call, "drain");
        call.end();
      })();
    });
    expect(reply.reply.length).toBe("Hello, !".length + 2_000 * greeting.length + 1_999 * ", ".length);
    expect(taken).toHaveLength(1);
  });

  it("ping-pongs a grpc-js bidi stream: each reply before the next message is sent", async () => {
    const call = grpcClient.makeBidiStreamRequest(BIDI_HELLO, serialize, deserialize);
    const replies: string[] = [];
    for (let i = 0; i < 5; i++) {
      const next = once(call, "data") as Promise<[HelloResponse]>;
      call.write(hello(`ping ${i}`));
      replies.push((await next)[0].reply);
    }
    const ended = once(call, "end");
    call.end();
    await ended;
    expect(replies).toEqual(Array.from({ length: 5 }, (_, i) => `Hello, ping ${i}!`));
    expect(taken).toEqual([{ path: BIDI_HELLO, protocol: "grpc" }]);
  });

  it("answers a grpc-js bidi message that fails validation with INVALID_ARGUMENT", async () => {
    const call = grpcClient.makeBidiStreamRequest(BIDI_HELLO, serialize, deserialize);
    const failed = new Promise<grpc.ServiceError>((resolve) => call.on("error", resolve));
    call.on("data", () => {});
    call.write(hello(""));
    const error = await failed;
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(taken).toHaveLength(1);
  });

  it("ends the handler when a grpc-js client cancels a bidi stream mid-way", async () => {
    ends.length = 0;
    const call = grpcClient.makeBidiStreamRequest(BIDI_HELLO, serialize, deserialize);
    const failed = new Promise<grpc.ServiceError>((resolve) => call.on("error", resolve));
    const first = once(call, "data");
    call.write(hello("before cancel"));
    await first;
    call.cancel();
    expect((await failed).code).toBe(grpc.status.CANCELLED);
    for (let i = 0; i < 500 && !ends.some((e) => e.method === "BidiHello"); i++) await new Promise((r) => setTimeout(r, 10));
    // With grpc-js's cancel the greeter's request loop ends normally ("completed") on both
    // paths (seen with fastPath: false too): the server reads the end of the request before
    // the reset. What matters here is that the handler ends.
    expect(ends.filter((e) => e.method === "BidiHello")).toHaveLength(1);
    expect(taken).toHaveLength(1);
  });

  it("answers @hello/client's client stream and bidi stream over gRPC", async () => {
    const client = createClient(HelloService, { baseUrl: server.url, protocol: "grpc" });
    try {
      async function* greetings(count: number) {
        for (let i = 0; i < count; i++) yield hello(`n${i}`);
      }
      const greeted = await client.lotsOfGreetings(greetings(3));
      expect(greeted.reply).toBe("Hello, n0, n1, n2!");
      const replies: string[] = [];
      for await (const res of client.bidiHello(greetings(4))) replies.push(res.reply);
      expect(replies).toEqual(["Hello, n0!", "Hello, n1!", "Hello, n2!", "Hello, n3!"]);
      expect((await client.lotsOfGreetings(greetings(0))).reply).toBe("Hello, nobody!");
      async function* withInvalid() {
        yield hello("ok");
        yield hello("");
      }
      const invalid = await client.lotsOfGreetings(withInvalid()).then(
        () => undefined,
        (e: unknown) => ConnectError.from(e).code,
      );
      expect(invalid).toBe(Code.InvalidArgument);
    } finally {
      client.close();
    }
    expect(taken.map((t) => t.path)).toEqual([LOTS_OF_GREETINGS, BIDI_HELLO, LOTS_OF_GREETINGS, LOTS_OF_GREETINGS]);
  });
});
