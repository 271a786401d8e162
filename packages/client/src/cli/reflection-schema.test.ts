/**
 * The schema from reflection answers, with an in-memory stand-in for the server's
 * reflection that serves the embedded descriptors of @hello/sdk: what is asked, what is
 * resolved, and the NOT_FOUND messages that name what exists. The real server's reflection
 * is in cli.integration.test.ts.
 */
import { createRegistry, type DescFile, type DescMethod, fromJson, toJson } from "@bufbuild/protobuf";
import type { FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { Health, HelloService } from "@hello/sdk";
import { createReflectionSchema } from "./reflection-schema.js";
import type { ServerReflection } from "./server-reflection.js";

/** Every file of `roots` and their imports, by import path. */
function filesOf(roots: DescFile[]): Map<string, DescFile> {
  const files = new Map<string, DescFile>();
  const add = (file: DescFile) => {
    if (files.has(file.proto.name)) return;
    files.set(file.proto.name, file);
    file.dependencies.forEach(add);
  };
  roots.forEach(add);
  return files;
}

/**
 * Reflection over the files of `services`. `sendImports: false` answers
 * file_containing_symbol with the declaring file alone, as servers may.
 */
function fakeReflection(services = [HelloService, Health], options: { sendImports?: boolean; withhold?: string } = {}) {
  const files = filesOf(services.map((s) => s.file));
  const registry = createRegistry(...files.values());
  const asked: string[] = [];
  const protoOf = (file: DescFile): FileDescriptorProto => file.proto;
  const reflection: ServerReflection = {
    async listServices() {
      asked.push("list_services");
      return services.map((s) => s.typeName);
    },
    async fileContainingSymbol(symbol) {
      asked.push(`file_containing_symbol ${symbol}`);
      const parent = symbol.slice(0, symbol.lastIndexOf("."));
      const file = registry.get(symbol)?.file ?? registry.getService(parent)?.file;
      if (file === undefined) throw new ConnectError(`symbol not found: ${symbol}`, Code.NotFound);
      const sent = options.sendImports === false ? [file] : [...filesOf([file]).values()];
      return sent.filter((f) => f.proto.name !== options.withhold).map(protoOf);
    },
    async filesByName(names) {
      asked.push(`file_by_filename ${names.join(" ")}`);
      return names.flatMap((name) => {
        const file = files.get(name);
        return file === undefined || name === options.withhold ? [] : [protoOf(file)];
      });
    },
  };
  return { reflection, asked };
}

async function errorOf(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected a failure");
}

describe("createReflectionSchema()", () => {
  describe("method()", () => {
    it("resolves a method of a service, with its kind, types and idempotency level", async () => {
      const { reflection, asked } = fakeReflection();
      const { desc } = await createReflectionSchema(reflection).method({ service: "hello.v1.HelloService", method: "LotsOfReplies" });
      expect(desc).toMatchObject({
        name: "LotsOfReplies",
        methodKind: "server_streaming",
        idempotency: MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS,
      });
      expect(desc.input.typeName).toBe("hello.v1.HelloRequest");
      expect(desc.parent.typeName).toBe("hello.v1.HelloService");
      expect(asked).toEqual(["file_containing_symbol hello.v1.HelloService"]);
    });

    it("asks for imports the server did not send along, and reads JSON with them (both field name styles)", async () => {
      const { reflection, asked } = fakeReflection([HelloService], { sendImports: false });
      const { desc, registry } = await createReflectionSchema(reflection).method({ service: "hello.v1.HelloService", method: "SayHello" });
      // hello.proto imports buf/validate/validate.proto, which imports three more.
      expect(asked).toEqual([
        "file_containing_symbol hello.v1.HelloService",
        "file_by_filename buf/validate/validate.proto google/protobuf/duration.proto",
        "file_by_filename google/protobuf/descriptor.proto google/protobuf/field_mask.proto google/protobuf/timestamp.proto",
      ]);
      const request = fromJson(desc.input, { greeting: "hi", reply_count: 2, replyInterval: "1.5s" }, { registry });
      expect(toJson(desc.input, request, { registry })).toEqual({ greeting: "hi", replyCount: 2, replyInterval: "1.500s" });
    });

    it("fails with NOT_FOUND naming the services when the service is unknown", async () => {
      const { reflection } = fakeReflection();
      const error = await errorOf(createReflectionSchema(reflection).method({ service: "todo.v1.TodoService", method: "List" }));
      expect(error.code).toBe(Code.NotFound);
      expect(error.rawMessage).toBe(
        'unknown service "todo.v1.TodoService"; the server offers: hello.v1.HelloService, grpc.health.v1.Health',
      );
    });

    it("fails with NOT_FOUND naming the methods when the method is unknown", async () => {
      const { reflection } = fakeReflection();
      const error = await errorOf(createReflectionSchema(reflection).method({ service: "grpc.health.v1.Health", method: "Ping" }));
      expect(error.code).toBe(Code.NotFound);
      expect(error.rawMessage).toMatch(/^grpc\.health\.v1\.Health has no method "Ping"; its methods: Check, Watch/);
    });

    it("says so when the name is a service, not a method", async () => {
      const { reflection } = fakeReflection();
      const error = await errorOf(createReflectionSchema(reflection).method({ service: "hello.v1", method: "HelloService" }));
      expect(error.code).toBe(Code.NotFound);
      expect(error.rawMessage).toMatch(
        /^hello\.v1\.HelloService is a service, not a method; its methods: hello\.v1\.HelloService\/SayHello, /,
      );
    });

    it("fails clearly when the server never sends an import", async () => {
      const { reflection } = fakeReflection([HelloService], { withhold: "google/protobuf/duration.proto" });
      const error = await errorOf(createReflectionSchema(reflection).method({ service: "hello.v1.HelloService", method: "SayHello" }));
      expect(error.rawMessage).toBe("server reflection did not send google/protobuf/duration.proto, imported by hello/v1/hello.proto");
    });
  });

  describe("element()", () => {
    it.each([
      ["hello.v1.HelloService", "service", "hello.v1.HelloService"],
      ["hello.v1.HelloService/SayHello", "rpc", "SayHello"],
      ["hello.v1.HelloService.BidiHello", "rpc", "BidiHello"],
      ["hello.v1.HelloRequest", "message", "hello.v1.HelloRequest"],
      ["grpc.health.v1.HealthCheckResponse.ServingStatus", "enum", "grpc.health.v1.HealthCheckResponse.ServingStatus"],
    ])("resolves %s as a %s", async (name, kind, expected) => {
      const { reflection } = fakeReflection();
      const { desc } = await createReflectionSchema(reflection).element(name);
      expect(desc.kind).toBe(kind);
      expect(desc.kind === "rpc" ? (desc as DescMethod).name : "typeName" in desc ? desc.typeName : undefined).toBe(expected);
    });

    it.each(["hello.v1.Nothing", "hello.v1.HelloRequest.greeting"])("fails with NOT_FOUND for %s, naming the services", async (name) => {
      const { reflection } = fakeReflection();
      const error = await errorOf(createReflectionSchema(reflection).element(name));
      expect(error.code).toBe(Code.NotFound);
      expect(error.rawMessage).toBe(
        `"${name}" is not a service, method, message or enum the server knows; the server offers: hello.v1.HelloService, grpc.health.v1.Health`,
      );
    });
  });

  it("keeps the files it has: a second question about the same file asks nothing new", async () => {
    const { reflection, asked } = fakeReflection([HelloService], { sendImports: false });
    const schema = createReflectionSchema(reflection);
    await schema.service("hello.v1.HelloService");
    const rounds = asked.length;
    await schema.element("hello.v1.HelloRequest");
    expect(asked.slice(rounds)).toEqual(["file_containing_symbol hello.v1.HelloRequest"]);
  });
});
