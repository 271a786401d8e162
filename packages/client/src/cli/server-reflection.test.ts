/**
 * The reflection client over connect's in-memory transport, against routers that speak
 * v1, only v1alpha, or neither: the fallback, and how answers and errors come back.
 */
import { toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, file_google_protobuf_duration } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter, createClient, createRouterTransport } from "@connectrpc/connect";
import { HelloService, reflectionV1, reflectionV1alpha } from "@hello/sdk";
import { createServerReflection } from "./server-reflection.js";

type Request = reflectionV1.ServerReflectionRequest | reflectionV1alpha.ServerReflectionRequest;

const FILES = new Map([HelloService.file, file_google_protobuf_duration].map((file) => [file.proto.name, file.proto]));

/** Answers like a server that knows HelloService's file and the Duration file, nothing else. */
function answer(request: Request) {
  const req = request.messageRequest;
  const file = req.case === "fileByFilename" ? FILES.get(req.value) : undefined;
  if (file !== undefined) {
    const bytes = toBinary(FileDescriptorProtoSchema, file);
    return { messageResponse: { case: "fileDescriptorResponse" as const, value: { fileDescriptorProto: [bytes] } } };
  }
  if (req.case === "listServices") {
    return { messageResponse: { case: "listServicesResponse" as const, value: { service: [{ name: "hello.v1.HelloService" }] } } };
  }
  if (req.case === "fileContainingSymbol" && req.value.startsWith("hello.v1.")) {
    const bytes = toBinary(FileDescriptorProtoSchema, HelloService.file.proto);
    return { messageResponse: { case: "fileDescriptorResponse" as const, value: { fileDescriptorProto: [bytes] } } };
  }
  return {
    messageResponse: {
      case: "errorResponse" as const,
      value: { errorCode: Code.NotFound, errorMessage: `not found: ${String(req.value)}` },
    },
  };
}

/** A reflection client of a router serving `versions`; `calls` counts the streams per version. */
function reflectionOf(versions: ("v1" | "v1alpha")[]) {
  const calls = { v1: 0, v1alpha: 0 };
  const transport = createRouterTransport((router: ConnectRouter) => {
    if (versions.includes("v1")) {
      router.service(reflectionV1.ServerReflection, {
        async *serverReflectionInfo(requests) {
          calls.v1++;
          for await (const request of requests) yield answer(request);
        },
      });
    }
    if (versions.includes("v1alpha")) {
      router.service(reflectionV1alpha.ServerReflection, {
        async *serverReflectionInfo(requests) {
          calls.v1alpha++;
          for await (const request of requests) yield answer(request);
        },
      });
    }
  });
  return { reflection: createServerReflection((service) => createClient(service, transport), {}), calls };
}

describe("createServerReflection()", () => {
  it("lists services over v1", async () => {
    const { reflection, calls } = reflectionOf(["v1", "v1alpha"]);
    await expect(reflection.listServices()).resolves.toEqual(["hello.v1.HelloService"]);
    expect(calls).toEqual({ v1: 1, v1alpha: 0 });
  });

  it("falls back to v1alpha when the server answers v1 with UNIMPLEMENTED, and stays there", async () => {
    const { reflection, calls } = reflectionOf(["v1alpha"]);
    await expect(reflection.listServices()).resolves.toEqual(["hello.v1.HelloService"]);
    const [file] = await reflection.fileContainingSymbol("hello.v1.HelloService");
    expect(file?.name).toBe("hello/v1/hello.proto");
    expect(calls).toEqual({ v1: 0, v1alpha: 2 });
  });

  it("asks for several files on one stream", async () => {
    const { reflection, calls } = reflectionOf(["v1"]);
    const files = await reflection.filesByName(["google/protobuf/duration.proto", "hello/v1/hello.proto"]);
    expect(files.map((f) => f.name)).toEqual(["google/protobuf/duration.proto", "hello/v1/hello.proto"]);
    expect(calls.v1).toBe(1);
  });

  it("turns an error response into a ConnectError with its code", async () => {
    const { reflection } = reflectionOf(["v1"]);
    const error = await reflection.fileContainingSymbol("no.such.Thing").then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(error?.code).toBe(Code.NotFound);
    expect(error?.rawMessage).toBe("not found: no.such.Thing");
  });

  it("fails with UNIMPLEMENTED, saying what is missing, when the server has no reflection", async () => {
    const { reflection } = reflectionOf([]);
    const error = await reflection.listServices().then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(error?.code).toBe(Code.Unimplemented);
    expect(error?.rawMessage).toMatch(/does not offer gRPC server reflection \(grpc\.reflection\.v1 or v1alpha\)/);
  });
});
