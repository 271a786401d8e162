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

export function createDriver(url: string): ClientDriver {
  const client = new grpc.Client(new URL(url).host, grpc.credentials.createInsecure());
  return {
    sayHello() {
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest(
          "/hello.v1.HelloService/SayHello",
          serialize,
          deserialize,
          create(HelloRequestSchema, { greeting: GREETING }),
          (error, response) => {
            if (error) reject(error);
            else if (response?.reply !== expected) reject(new Error(`unexpected reply ${JSON.stringify(response?.reply)}`));
            else resolve();
          },
        );
      });
    },
    lotsOfReplies(replies) {
      return new Promise((resolve, reject) => {
        let received = 0;
        const call = client.makeServerStreamRequest(
          "/hello.v1.HelloService/LotsOfReplies",
          serialize,
          deserialize,
          create(HelloRequestSchema, { greeting: GREETING, replyCount: replies }),
        );
        call.on("data", () => received++);
        call.on("error", reject);
        call.on("end", () => resolve(received));
      });
    },
    close: () => client.close(),
  };
}
