import { create, createFileRegistry } from "@bufbuild/protobuf";
import { FieldDescriptorProto_Label, FieldDescriptorProto_Type, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Health, HelloService, reflectionV1 } from "@hello/sdk";
import { createReflectionIndex } from "./reflection-index.js";

const { OPTIONAL: LABEL_OPTIONAL, REPEATED: LABEL_REPEATED } = FieldDescriptorProto_Label;
const { MESSAGE: TYPE_MESSAGE, STRING: TYPE_STRING } = FieldDescriptorProto_Type;

const index = createReflectionIndex([HelloService, Health, reflectionV1.ServerReflection]);

describe("createReflectionIndex()", () => {
  it("lists the given services, sorted and each once", () => {
    expect(createReflectionIndex([HelloService, Health, HelloService]).serviceNames).toEqual([
      "grpc.health.v1.Health",
      "hello.v1.HelloService",
    ]);
  });

  it("indexes the services' files and every file they import, transitively", () => {
    expect([...index.files.keys()].sort()).toEqual([
      "buf/validate/validate.proto",
      "google/protobuf/descriptor.proto",
      "google/protobuf/duration.proto",
      "google/protobuf/field_mask.proto",
      "google/protobuf/timestamp.proto",
      "grpc/health/v1/health.proto",
      "grpc/reflection/v1/reflection.proto",
      "hello/v1/hello.proto",
    ]);
  });

  it.each([
    ["hello.v1.HelloService", "service", "hello/v1/hello.proto"],
    [".hello.v1.HelloService", "service", "hello/v1/hello.proto"],
    ["hello.v1.HelloService.LotsOfReplies", "method", "hello/v1/hello.proto"],
    ["hello.v1.HelloRequest", "message", "hello/v1/hello.proto"],
    ["hello.v1.HelloRequest.reply_interval", "field", "hello/v1/hello.proto"],
    ["grpc.health.v1.HealthCheckResponse.ServingStatus", "enum", "grpc/health/v1/health.proto"],
    ["grpc.health.v1.HealthCheckResponse.NOT_SERVING", "enum value", "grpc/health/v1/health.proto"],
    ["grpc.reflection.v1.ServerReflectionRequest.message_request", "oneof", "grpc/reflection/v1/reflection.proto"],
    ["google.protobuf.DescriptorProto.ExtensionRange", "message", "google/protobuf/descriptor.proto"],
    ["google.protobuf.FieldDescriptorProto.TYPE_STRING", "enum value", "google/protobuf/descriptor.proto"],
    ["google.protobuf.Duration", "message", "google/protobuf/duration.proto"],
    ["buf.validate.field", "extension", "buf/validate/validate.proto"],
    ["google.protobuf.FeatureSetDefaults.FeatureSetEditionDefault", "message", "google/protobuf/descriptor.proto"],
  ])("finds %s (%s) in %s", (symbol, kind, file) => {
    expect(index.kindOf(symbol)).toBe(kind);
    expect(index.fileContainingSymbol(symbol)?.proto.name).toBe(file);
  });

  it("finds map entry messages, which protobuf-es leaves out of a message's nested messages", () => {
    const file = create(FileDescriptorProtoSchema, {
      name: "test/v1/labels.proto",
      package: "test.v1",
      syntax: "proto3",
      messageType: [
        {
          name: "Labels",
          field: [{ name: "labels", number: 1, label: LABEL_REPEATED, type: TYPE_MESSAGE, typeName: ".test.v1.Labels.LabelsEntry" }],
          nestedType: [
            {
              name: "LabelsEntry",
              options: { mapEntry: true },
              field: [
                { name: "key", number: 1, label: LABEL_OPTIONAL, type: TYPE_STRING },
                { name: "value", number: 2, label: LABEL_OPTIONAL, type: TYPE_STRING },
              ],
            },
          ],
        },
      ],
      service: [{ name: "LabelService", method: [{ name: "Get", inputType: ".test.v1.Labels", outputType: ".test.v1.Labels" }] }],
    });
    const service = createFileRegistry(file, () => undefined).getService("test.v1.LabelService");
    expect(service?.file.messages[0]?.nestedMessages).toEqual([]);
    const labels = createReflectionIndex(service ? [service] : []);
    expect(labels.kindOf("test.v1.Labels.LabelsEntry")).toBe("message");
    expect(labels.kindOf("test.v1.Labels.LabelsEntry.value")).toBe("field");
  });

  it("finds nothing for unknown names", () => {
    expect(index.fileContainingSymbol("hello.v1.Nope")).toBeUndefined();
    expect(index.fileContainingSymbol("hello.v1")).toBeUndefined();
    // Enum values live beside their enum, not inside it.
    expect(index.fileContainingSymbol("google.protobuf.FieldDescriptorProto.Type.TYPE_STRING")).toBeUndefined();
    expect(index.fileByName("nope.proto")).toBeUndefined();
  });

  it("knows the extensions of a message", () => {
    expect(index.extensionNumbersOf("google.protobuf.FieldOptions")).toEqual([1159, 1160]);
    expect(index.extensionNumbersOf(".google.protobuf.MessageOptions")).toEqual([1159]);
    expect(index.extensionNumbersOf("hello.v1.HelloRequest")).toEqual([]);
    expect(index.extensionNumbersOf("hello.v1.Nope")).toBeUndefined();
    expect(index.fileContainingExtension("google.protobuf.FieldOptions", 1160)?.proto.name).toBe("buf/validate/validate.proto");
    expect(index.fileContainingExtension("google.protobuf.FieldOptions", 1)).toBeUndefined();
  });

  it("lists a file's transitive imports after it, each once", () => {
    const hello = index.fileByName("hello/v1/hello.proto");
    expect(hello && index.fileWithDependencies(hello).map((f) => f.proto.name)).toEqual([
      "hello/v1/hello.proto",
      "buf/validate/validate.proto",
      "google/protobuf/duration.proto",
      "google/protobuf/descriptor.proto",
      "google/protobuf/field_mask.proto",
      "google/protobuf/timestamp.proto",
    ]);
  });
});
