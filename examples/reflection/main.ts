/**
 * Server reflection: clients such as `buf curl` and grpcurl ask the server which services
 * it offers and how they are defined, through the `grpc.reflection.v1` bidi stream. Here
 * a generic connect client built from @hello/sdk's `reflectionV1` descriptors lists the
 * services, then fetches the file that defines hello.v1.HelloService.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createHelloTransport } from "@hello/client";
import { reflectionV1 } from "@hello/sdk";
import { startOrConnect } from "../shared/hello-server.js";

type Request = reflectionV1.ServerReflectionRequest["messageRequest"];

const server = await startOrConnect();
// The reflection stream is bidirectional: it needs HTTP/2, as gRPC always has.
const { transport, close } = createHelloTransport({ baseUrl: server.url, protocol: "grpc" });
const reflection = createClient(reflectionV1.ServerReflection, transport);

/**
 * Sends one reflection request on a stream of its own and returns the response. The
 * server ends the stream once the client has ended its side (after the one request), so
 * reading to the end also lets the call finish.
 */
async function ask(messageRequest: Request): Promise<reflectionV1.ServerReflectionResponse["messageResponse"]> {
  async function* requests() {
    yield { messageRequest };
  }
  const responses: reflectionV1.ServerReflectionResponse["messageResponse"][] = [];
  for await (const { messageResponse } of reflection.serverReflectionInfo(requests(), { timeoutMs: 5_000 })) {
    responses.push(messageResponse);
  }
  const [response, ...more] = responses;
  if (response === undefined || more.length > 0) throw new Error(`expected one response, got ${responses.length}`);
  return response;
}

try {
  const listed = await ask({ case: "listServices", value: "" });
  if (listed?.case !== "listServicesResponse") throw new Error(`unexpected response ${listed?.case}`);
  const names = listed.value.service.map((s) => s.name).sort();
  for (const name of names) console.log(`service: ${name}`);

  const file = await ask({ case: "fileContainingSymbol", value: "hello.v1.HelloService" });
  if (file?.case !== "fileDescriptorResponse") throw new Error(`unexpected response ${file?.case}`);
  // The first file is the one defining the symbol; its dependencies follow.
  const proto = fromBinary(FileDescriptorProtoSchema, file.value.fileDescriptorProto[0] ?? new Uint8Array());
  const service = proto.service.find((s) => s.name === "HelloService");
  console.log(`hello.v1.HelloService is defined in ${proto.name}: ${service?.method.map((m) => m.name).join(", ")}`);
  console.log(`OK reflection: ${names.join(", ")}`);
} finally {
  close();
  await server.close();
}
