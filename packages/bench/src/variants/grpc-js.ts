import { once } from "node:events";
import type { Readable } from "node:stream";
import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { durationMs } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { type HelloRequest, HelloRequestSchema, type HelloResponse, HelloResponseSchema } from "@hello/sdk";
import { createGreeter } from "@hello/server";
import type { Protocol } from "../workloads.js";
import type { RunningServerVariant, ServerVariantOptions } from "./server-variant.js";

/** The reference: @grpc/grpc-js, no interceptors, running the same greeter. */
export const label = "@grpc/grpc-js (bare)";
/** grpc-js speaks gRPC only. */
export const protocols: readonly Protocol[] = ["grpc"];

function serializer<Desc extends DescMessage>(schema: Desc) {
  return {
    serialize(message: MessageShape<Desc>): Buffer {
      const bytes = toBinary(schema, message);
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    deserialize(bytes: Buffer): MessageShape<Desc> {
      return fromBinary(schema, bytes);
    },
  };
}

const request = serializer(HelloRequestSchema);
const response = serializer(HelloResponseSchema);

/** HelloService's four methods, described for grpc-js with protobuf-es (de)serializers. */
const helloServiceDefinition = {
  sayHello: {
    path: "/hello.v1.HelloService/SayHello",
    requestStream: false,
    responseStream: false,
    requestSerialize: request.serialize,
    requestDeserialize: request.deserialize,
    responseSerialize: response.serialize,
    responseDeserialize: response.deserialize,
  },
  lotsOfReplies: {
    path: "/hello.v1.HelloService/LotsOfReplies",
    requestStream: false,
    responseStream: true,
    requestSerialize: request.serialize,
    requestDeserialize: request.deserialize,
    responseSerialize: response.serialize,
    responseDeserialize: response.deserialize,
  },
  lotsOfGreetings: {
    path: "/hello.v1.HelloService/LotsOfGreetings",
    requestStream: true,
    responseStream: false,
    requestSerialize: request.serialize,
    requestDeserialize: request.deserialize,
    responseSerialize: response.serialize,
    responseDeserialize: response.deserialize,
  },
  bidiHello: {
    path: "/hello.v1.HelloService/BidiHello",
    requestStream: true,
    responseStream: true,
    requestSerialize: request.serialize,
    requestDeserialize: request.deserialize,
    responseSerialize: response.serialize,
    responseDeserialize: response.deserialize,
  },
} satisfies grpc.ServiceDefinition;

/**
 * The greetings of a request stream, as the greeter takes them. Read without
 * `destroyOnReturn`: a plain `for await` destroys the duplex once the requests end, and
 * grpc-js then never sends the status of a bidi call.
 */
async function* greetingsOf(call: Readable): AsyncIterable<string> {
  for await (const message of call.iterator({ destroyOnReturn: false })) yield (message as HelloRequest).greeting;
}

/**
 * The handlers translate between messages and `createGreeter()`'s plain functions, like
 * ours, and set the same `x-reply-count` trailer.
 */
function createHandlers(): grpc.UntypedServiceImplementation {
  const greeter = createGreeter();
  const sayHello: grpc.handleUnaryCall<HelloRequest, HelloResponse> = (call, callback) => {
    const trailer = new grpc.Metadata();
    trailer.set("x-reply-count", "1");
    callback(null, create(HelloResponseSchema, { reply: greeter.sayHello(call.request.greeting) }), trailer);
  };
  const lotsOfReplies: grpc.handleServerStreamingCall<HelloRequest, HelloResponse> = async (call) => {
    const abort = new AbortController();
    call.once("cancelled", () => abort.abort());
    const { greeting, replyCount, replyInterval } = call.request;
    const plan = { greeting, count: replyCount, intervalMs: replyInterval ? durationMs(replyInterval) : 0 };
    let count = 0;
    try {
      for await (const reply of greeter.lotsOfReplies(plan, { signal: abort.signal, timeoutMs: () => undefined })) {
        count++;
        if (!call.write(create(HelloResponseSchema, { reply }))) await once(call, "drain", { signal: abort.signal });
      }
      const trailer = new grpc.Metadata();
      trailer.set("x-reply-count", String(count));
      call.end(trailer);
    } catch (error) {
      if (!abort.signal.aborted) call.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  };
  const lotsOfGreetings: grpc.handleClientStreamingCall<HelloRequest, HelloResponse> = (call, callback) => {
    const abort = new AbortController();
    call.once("cancelled", () => abort.abort());
    greeter.lotsOfGreetings(greetingsOf(call), { signal: abort.signal, timeoutMs: () => undefined }).then(
      (reply) => {
        const trailer = new grpc.Metadata();
        trailer.set("x-reply-count", "1");
        callback(null, create(HelloResponseSchema, { reply }), trailer);
      },
      (error: unknown) => callback({ code: grpc.status.INTERNAL, details: error instanceof Error ? error.message : String(error) }),
    );
  };
  const bidiHello: grpc.handleBidiStreamingCall<HelloRequest, HelloResponse> = async (call) => {
    const abort = new AbortController();
    call.once("cancelled", () => abort.abort());
    let count = 0;
    try {
      for await (const reply of greeter.bidiHello(greetingsOf(call), { signal: abort.signal, timeoutMs: () => undefined })) {
        count++;
        if (!call.write(create(HelloResponseSchema, { reply }))) await once(call, "drain", { signal: abort.signal });
      }
      const trailer = new grpc.Metadata();
      trailer.set("x-reply-count", String(count));
      call.end(trailer);
    } catch (error) {
      if (!abort.signal.aborted) call.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  };
  return { sayHello, lotsOfReplies, lotsOfGreetings, bidiHello } as grpc.UntypedServiceImplementation;
}

export async function start(port: number, { host }: ServerVariantOptions): Promise<RunningServerVariant> {
  const server = new grpc.Server();
  server.addService(helloServiceDefinition, createHandlers());
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
  );
  return {
    port: bound,
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
