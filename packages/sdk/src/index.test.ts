import { create, toBinary, fromBinary, getOption } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { field } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { GenFile } from "@bufbuild/protobuf/codegenv2";
import * as sdk from "./index.js";
import { HelloRequestSchema, HelloResponseSchema, HelloService } from "./index.js";
import { GEN_DIR, protoFilesOf, protoPackageDirectories } from "./test-support/proto-package-directories.js";

/** The index's exports by name. */
const sdkExports = sdk as unknown as Record<string, unknown>;

/** The exports of a module under src/gen, loaded as jest loads the index's own imports (the same instances). */
function genModule(path: string): Record<string, unknown> {
  return require(join(GEN_DIR, path)) as Record<string, unknown>;
}

/** Whether an export is a file descriptor (`file_hello_v1_hello`). */
function isGenFile(value: unknown): value is GenFile {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "file";
}

/** Fails unless `actual` has exactly the names of `expected`, each the same instance. */
function expectSameExports(actual: unknown, expected: Record<string, unknown>): void {
  const exports = actual as Record<string, unknown>;
  expect(Object.keys(exports).sort()).toEqual(Object.keys(expected).sort());
  const different = Object.keys(expected).filter((name) => exports[name] !== expected[name]);
  expect(different).toEqual([]);
}

describe("@hello/sdk", () => {
  it("describes HelloService with one method per RPC kind", () => {
    expect(HelloService.typeName).toBe("hello.v1.HelloService");
    expect(HelloService.methods.map((m) => [m.name, m.methodKind])).toEqual([
      ["SayHello", "unary"],
      ["LotsOfReplies", "server_streaming"],
      ["LotsOfGreetings", "client_streaming"],
      ["BidiHello", "bidi_streaming"],
    ]);
  });

  it("marks the side-effect-free methods, which clients may retry and call with GET", () => {
    expect(HelloService.method.sayHello.idempotency).toBe(MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS);
    expect(HelloService.method.lotsOfReplies.idempotency).toBe(MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS);
    expect(HelloService.method.lotsOfGreetings.idempotency).toBe(MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN);
  });

  it("keeps the fixed field numbers of the contract", () => {
    expect(HelloRequestSchema.fields.map((f) => [f.name, f.number])).toEqual([
      ["greeting", 1],
      ["reply_count", 2],
      ["reply_interval", 3],
    ]);
    expect(HelloResponseSchema.fields.map((f) => [f.name, f.number])).toEqual([["reply", 1]]);
  });

  it("embeds the validation rules of the proto in the descriptor", () => {
    const greeting = getOption(HelloRequestSchema.field.greeting, field);
    expect(greeting.type.case).toBe("string");
    expect(greeting.type.value).toMatchObject({ minLen: 1n, maxLen: 1000n });
  });

  it("round-trips messages through the binary format", () => {
    const msg = create(HelloRequestSchema, { greeting: "hi", replyCount: 2 });
    expect(fromBinary(HelloRequestSchema, toBinary(HelloRequestSchema, msg))).toEqual(msg);
  });
});

describe("the namespaces of @hello/sdk, one per proto package", () => {
  const directories = protoPackageDirectories();

  it("finds the package directories that buf generate wrote (so the tests below are not vacuous)", () => {
    expect(directories).toEqual(expect.arrayContaining(["grpc/health/v1", "grpc/reflection/v1", "grpc/reflection/v1alpha", "hello/v1"]));
  });

  it.each(directories)("exports %s as a namespace named after its directory, with every export of its files", (directory) => {
    const namespace = sdkExports[directory.replaceAll("/", "_")];
    expect(namespace).toBeDefined();
    expectSameExports(namespace, Object.assign({}, ...protoFilesOf(directory).map((file) => genModule(`${directory}/${file}`))));
  });

  it.each(directories)("holds in the namespace of %s only the proto package of that directory", (directory) => {
    const files = Object.values(sdkExports[directory.replaceAll("/", "_")] as object).filter(isGenFile);
    expect(files.map((file) => file.proto.package)).toEqual(protoFilesOf(directory).map(() => directory.replaceAll("/", ".")));
  });

  it("keeps equal message names of two packages apart: server reflection v1 and v1alpha", () => {
    expect(sdk.grpc_reflection_v1.ServerReflectionRequestSchema.typeName).toBe("grpc.reflection.v1.ServerReflectionRequest");
    expect(sdk.grpc_reflection_v1alpha.ServerReflectionRequestSchema.typeName).toBe("grpc.reflection.v1alpha.ServerReflectionRequest");
  });

  it("leaves protovalidate's own schema to @bufbuild/protovalidate", () => {
    expect(existsSync(join(GEN_DIR, "buf"))).toBe(false);
    expect(Object.keys(sdkExports).filter((name) => name.startsWith("buf_"))).toEqual([]);
  });
});

describe("the exports of @hello/sdk from before the namespaces", () => {
  it("still exports hello.v1 and grpc.health.v1 flat", () => {
    for (const namespace of [sdk.hello_v1, sdk.grpc_health_v1]) {
      const missing = Object.entries(namespace).filter(([name, value]) => sdkExports[name] !== value);
      expect(missing.map(([name]) => name)).toEqual([]);
    }
    expect([sdk.HelloService.typeName, sdk.Health.typeName, sdk.HealthCheckRequestSchema.typeName]).toEqual([
      "hello.v1.HelloService",
      "grpc.health.v1.Health",
      "grpc.health.v1.HealthCheckRequest",
    ]);
  });

  it("still exports server reflection as the namespaces reflectionV1 and reflectionV1alpha", () => {
    expectSameExports(sdk.reflectionV1, sdk.grpc_reflection_v1);
    expectSameExports(sdk.reflectionV1alpha, sdk.grpc_reflection_v1alpha);
  });
});
