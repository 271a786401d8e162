import { create, createFileRegistry, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, createClient, createRouterTransport } from "@connectrpc/connect";
import { reflectionV1, reflectionV1alpha } from "@hello/sdk";
import { createGreeter } from "../hello/greeter.js";
import { createHealthStatus } from "../health/health-status.js";
import { registeredServices, withPlatformServices } from "../platform-services.js";
import { createRoutes } from "../routes.js";

type Request = MessageInitShape<typeof reflectionV1.ServerReflectionRequestSchema>;
type Response = reflectionV1.ServerReflectionResponse;

const routes = withPlatformServices(createRoutes({ greeter: createGreeter() }), { health: createHealthStatus() });

/** Sends the requests on one stream (in-memory, real routes) and collects every response. */
async function reflect(requests: Request[], version: "v1" | "v1alpha" = "v1"): Promise<Response[]> {
  const transport = createRouterTransport(routes);
  const responses: Response[] = [];
  if (version === "v1") {
    const client = createClient(reflectionV1.ServerReflection, transport);
    for await (const res of client.serverReflectionInfo(stream(requests))) {
      responses.push(res);
    }
  } else {
    // v1alpha has the same fields and numbers as v1: convert on the wire format.
    const alpha = requests.map((r) =>
      fromBinary(
        reflectionV1alpha.ServerReflectionRequestSchema,
        toBinary(reflectionV1.ServerReflectionRequestSchema, create(reflectionV1.ServerReflectionRequestSchema, r)),
      ),
    );
    const client = createClient(reflectionV1alpha.ServerReflection, transport);
    for await (const res of client.serverReflectionInfo(stream(alpha))) {
      responses.push(
        fromBinary(reflectionV1.ServerReflectionResponseSchema, toBinary(reflectionV1alpha.ServerReflectionResponseSchema, res)),
      );
    }
  }
  expect(responses).toHaveLength(requests.length);
  return responses;
}

async function* stream<T>(items: T[]): AsyncIterable<T> {
  yield* items;
}

function filesOf(res: Response | undefined): FileDescriptorProto[] {
  if (res?.messageResponse.case !== "fileDescriptorResponse") {
    throw new Error(`expected file descriptors, got ${res?.messageResponse.case}`);
  }
  return res.messageResponse.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b));
}

function namesOf(res: Response | undefined): string[] {
  return filesOf(res).map((f) => f.name);
}

function errorOf(res: Response | undefined) {
  if (res?.messageResponse.case !== "errorResponse") {
    throw new Error(`expected an error, got ${res?.messageResponse.case}`);
  }
  return { code: res.messageResponse.value.errorCode, message: res.messageResponse.value.errorMessage };
}

const HELLO_FILES = [
  "hello/v1/hello.proto",
  "buf/validate/validate.proto",
  "google/protobuf/duration.proto",
  "google/protobuf/descriptor.proto",
  "google/protobuf/field_mask.proto",
  "google/protobuf/timestamp.proto",
];

describe("ServerReflection service", () => {
  it("lists every service the routes register, itself included", async () => {
    const [res] = await reflect([{ host: "h", messageRequest: { case: "listServices", value: "" } }]);
    expect(res?.messageResponse.case).toBe("listServicesResponse");
    const names = res?.messageResponse.case === "listServicesResponse" ? res.messageResponse.value.service.map((s) => s.name) : [];
    const registered = registeredServices(routes).map((s) => s.typeName);
    expect(registered).toContain("grpc.reflection.v1.ServerReflection");
    expect(names).toEqual(registered.sort());
  });

  it("echoes the host and the original request", async () => {
    const [res] = await reflect([{ host: "example.com", messageRequest: { case: "listServices", value: "*" } }]);
    expect(res?.validHost).toBe("example.com");
    expect(res?.originalRequest?.messageRequest).toEqual({ case: "listServices", value: "*" });
  });

  it("answers file_by_filename with the file and all its transitive imports", async () => {
    const [res] = await reflect([{ messageRequest: { case: "fileByFilename", value: "hello/v1/hello.proto" } }]);
    const files = filesOf(res);
    expect(files.map((f) => f.name)).toEqual(HELLO_FILES);
    // Complete enough for a client to resolve and use every type.
    const byName = new Map(files.map((f) => [f.name, f]));
    const registry = createFileRegistry(files[0] ?? create(FileDescriptorProtoSchema), (name) => byName.get(name));
    const service = registry.getService("hello.v1.HelloService");
    expect(service?.methods.map((m) => m.name)).toEqual(["SayHello", "LotsOfReplies", "LotsOfGreetings", "BidiHello"]);
    expect(registry.getMessage("hello.v1.HelloRequest")?.field["replyInterval"]?.message?.typeName).toBe("google.protobuf.Duration");
    expect(registry.getExtension("buf.validate.field")?.extendee.typeName).toBe("google.protobuf.FieldOptions");
    // The parts protoc-gen-es strips when embedding are back.
    expect(files[0]?.dependency).toEqual(["buf/validate/validate.proto", "google/protobuf/duration.proto"]);
    expect(files[0]?.messageType[0]?.field.map((f) => f.jsonName)).toEqual(["greeting", "replyCount", "replyInterval"]);
  });

  it.each([
    "hello.v1.HelloService",
    "hello.v1.HelloService.SayHello",
    "hello.v1.HelloRequest",
    "hello.v1.HelloRequest.reply_count",
    ".hello.v1.HelloResponse",
  ])("answers file_containing_symbol %s with hello.proto and its imports", async (symbol) => {
    const [res] = await reflect([{ messageRequest: { case: "fileContainingSymbol", value: symbol } }]);
    expect(namesOf(res)).toEqual(HELLO_FILES);
  });

  it("answers file_containing_symbol for enums, enum values and nested types", async () => {
    const res = await reflect([
      { messageRequest: { case: "fileContainingSymbol", value: "grpc.health.v1.HealthCheckResponse.ServingStatus" } },
      { messageRequest: { case: "fileContainingSymbol", value: "grpc.health.v1.HealthCheckResponse.SERVING" } },
      { messageRequest: { case: "fileContainingSymbol", value: "google.protobuf.DescriptorProto.ExtensionRange" } },
      { messageRequest: { case: "fileContainingSymbol", value: "grpc.reflection.v1alpha.ServerReflection" } },
    ]);
    expect(res.map((r) => namesOf(r)[0])).toEqual([
      "grpc/health/v1/health.proto",
      "grpc/health/v1/health.proto",
      "google/protobuf/descriptor.proto",
      "grpc/reflection/v1alpha/reflection.proto",
    ]);
  });

  it("sends each imported file once per stream, and the requested file every time", async () => {
    const res = await reflect([
      { messageRequest: { case: "fileContainingSymbol", value: "hello.v1.HelloService" } },
      { messageRequest: { case: "fileByFilename", value: "hello/v1/hello.proto" } },
      { messageRequest: { case: "fileByFilename", value: "buf/validate/validate.proto" } },
      { messageRequest: { case: "fileByFilename", value: "grpc/health/v1/health.proto" } },
    ]);
    expect(res.map(namesOf)).toEqual([
      HELLO_FILES,
      ["hello/v1/hello.proto"],
      ["buf/validate/validate.proto"],
      ["grpc/health/v1/health.proto"],
    ]);
  });

  it("answers file_containing_extension and all_extension_numbers_of_type", async () => {
    const res = await reflect([
      {
        messageRequest: {
          case: "fileContainingExtension",
          value: { containingType: "google.protobuf.FieldOptions", extensionNumber: 1159 },
        },
      },
      { messageRequest: { case: "allExtensionNumbersOfType", value: "google.protobuf.FieldOptions" } },
      { messageRequest: { case: "allExtensionNumbersOfType", value: "hello.v1.HelloRequest" } },
    ]);
    expect(namesOf(res[0])).toEqual([
      "buf/validate/validate.proto",
      "google/protobuf/descriptor.proto",
      "google/protobuf/duration.proto",
      "google/protobuf/field_mask.proto",
      "google/protobuf/timestamp.proto",
    ]);
    expect(res[1]?.messageResponse).toMatchObject({
      case: "allExtensionNumbersResponse",
      value: { baseTypeName: "google.protobuf.FieldOptions", extensionNumber: [1159, 1160] },
    });
    expect(res[2]?.messageResponse).toMatchObject({
      case: "allExtensionNumbersResponse",
      value: { baseTypeName: "hello.v1.HelloRequest", extensionNumber: [] },
    });
  });

  it("answers unknown names with NOT_FOUND and keeps the stream open", async () => {
    const res = await reflect([
      { messageRequest: { case: "fileByFilename", value: "no/such.proto" } },
      { messageRequest: { case: "fileContainingSymbol", value: "no.such.Symbol" } },
      {
        messageRequest: {
          case: "fileContainingExtension",
          value: { containingType: "google.protobuf.FieldOptions", extensionNumber: 99 },
        },
      },
      { messageRequest: { case: "allExtensionNumbersOfType", value: "no.such.Message" } },
      {},
      { messageRequest: { case: "fileContainingSymbol", value: "hello.v1.HelloService" } },
    ]);
    expect(res.slice(0, 5).map(errorOf)).toEqual([
      { code: Code.NotFound, message: 'file "no/such.proto" not found' },
      { code: Code.NotFound, message: 'symbol "no.such.Symbol" not found' },
      { code: Code.NotFound, message: 'extension 99 of message "google.protobuf.FieldOptions" not found' },
      { code: Code.NotFound, message: 'message type "no.such.Message" not found' },
      { code: Code.InvalidArgument, message: "empty request: set one of the message_request fields" },
    ]);
    expect(Code.NotFound).toBe(5);
    expect(namesOf(res[5])[0]).toBe("hello/v1/hello.proto");
  });

  it("answers the same over v1alpha", async () => {
    const res = await reflect(
      [
        { messageRequest: { case: "listServices", value: "" } },
        { messageRequest: { case: "fileContainingSymbol", value: "hello.v1.HelloService" } },
        { messageRequest: { case: "fileContainingSymbol", value: "nope" } },
      ],
      "v1alpha",
    );
    expect(res[0]?.messageResponse.case).toBe("listServicesResponse");
    expect(namesOf(res[1])).toEqual(HELLO_FILES);
    expect(errorOf(res[2]).code).toBe(Code.NotFound);
  });
});
