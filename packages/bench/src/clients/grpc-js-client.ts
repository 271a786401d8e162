import { once } from "node:events";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { type HelloRequest, HelloRequestSchema, type HelloResponse, HelloResponseSchema } from "@hello/sdk";
import { GREETING } from "../workloads.js";
import type { ClientDriver } from "./client-driver.js";

/** The reference: a bare @grpc/grpc-js client with protobuf-es (de)serializers. */
export const label = "@grpc/grpc-js client (bare)";

const expected = `Hello, ${GREETING}!`;
const serialize = (message: HelloRequest) => {
  const bytes = toBinary(HelloRequestSchema, message);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
};
const deserialize = (bytes: Buffer): HelloResponse => fromBinary(HelloResponseSchema, bytes);
const request = create(HelloRequestSchema, { greeting: GREETING });
const LOTS_OF_GREETINGS = "/hello.v1.HelloService/LotsOfGreetings";
const BIDI_HELLO = "/hello.v1.HelloService/BidiHello";
const LOTS_OF_REPLIES = "/hello.v1.HelloService/LotsOfReplies";

/** Writes `count` greetings, waiting for `drain` when the stream asks to, then ends the request side. */
async function writeGreetings(
  call: grpc.ClientWritableStream<HelloRequest> | grpc.ClientDuplexStream<HelloRequest, HelloResponse>,
  count: number,
) {
  for (let i = 0; i < count; i++) {
    if (!call.write(request)) await once(call, "drain");
  }
  call.end();
}

export function createDriver(url: string): ClientDriver {
  const client = new grpc.Client(new URL(url).host, grpc.credentials.createInsecure());
  return {
    sayHello() {
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest("/hello.v1.HelloService/SayHello", serialize, deserialize, request, (error, response) => {
          if (error) reject(error);
          else if (response?.reply !== expected) reject(new Error(`unexpected reply ${JSON.stringify(response?.reply)}`));
          else resolve();
        });
      });
    },
    lotsOfReplies(replies) {
      return new Promise((resolve, reject) => {
        let received = 0;
        const call = client.makeServerStreamRequest(
          LOTS_OF_REPLIES,
          serialize,
          deserialize,
          create(HelloRequestSchema, { greeting: GREETING, replyCount: replies }),
        );
        call.on("data", () => received++);
        call.on("error", reject);
        call.on("end", () => resolve(received));
      });
    },
    lotsOfGreetings(count) {
      return new Promise((resolve, reject) => {
        const want = `Hello, ${Array.from({ length: count }, () => GREETING).join(", ")}!`;
        const call = client.makeClientStreamRequest(LOTS_OF_GREETINGS, serialize, deserialize, (error, response) => {
          if (error) reject(error);
          else if (response?.reply !== want) reject(new Error(`unexpected reply of ${response?.reply.length} characters`));
          else resolve();
        });
        writeGreetings(call, count).catch(reject);
      });
    },
    bidiHello(count) {
      return new Promise((resolve, reject) => {
        let received = 0;
        const call = client.makeBidiStreamRequest(BIDI_HELLO, serialize, deserialize);
        call.on("data", (response: HelloResponse) => {
          if (response.reply !== expected) reject(new Error(`unexpected reply ${JSON.stringify(response.reply)}`));
          received++;
        });
        call.on("error", reject);
        call.on("end", () => resolve(received));
        writeGreetings(call, count).catch(reject);
      });
    },
    async openStream(shape) {
      const call =
        shape === "bidi"
          ? client.makeBidiStreamRequest(BIDI_HELLO, serialize, deserialize)
          : client.makeServerStreamRequest(
              LOTS_OF_REPLIES,
              serialize,
              deserialize,
              create(HelloRequestSchema, { greeting: GREETING, replyCount: 2, replyInterval: { seconds: 10n } }),
            );
      const ended = new Promise<void>((resolve) => {
        call.on("end", resolve);
        // The cancelled server stream ends with CANCELLED: expected.
        call.on("error", () => resolve());
      });
      const first = once(call, "data");
      if (shape === "bidi") (call as grpc.ClientDuplexStream<HelloRequest, HelloResponse>).write(request);
      await first;
      call.resume();
      return async () => {
        if (shape === "bidi") (call as grpc.ClientDuplexStream<HelloRequest, HelloResponse>).end();
        else call.cancel();
        await ended;
      };
    },
    close: () => client.close(),
  };
}
