import { create, createFileRegistry } from "@bufbuild/protobuf";
import { FieldDescriptorProto_Label as Label, FieldDescriptorProto_Type as Type, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Health, HelloService } from "@hello/sdk";
import { formatSchema, typesUsedBy } from "./format-schema.js";

/** A message with every kind of field, described at run time. */
const shapes = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: "test/v1/shapes.proto",
    package: "test.v1",
    syntax: "proto3",
    messageType: [
      {
        name: "Shape",
        field: [
          { name: "tags", number: 1, label: Label.REPEATED, type: Type.STRING, jsonName: "tags" },
          { name: "sizes", number: 2, label: Label.REPEATED, type: Type.MESSAGE, typeName: ".test.v1.Shape.SizesEntry", jsonName: "sizes" },
          { name: "note", number: 3, label: Label.OPTIONAL, type: Type.STRING, jsonName: "note", proto3Optional: true, oneofIndex: 1 },
          { name: "color", number: 4, label: Label.OPTIONAL, type: Type.ENUM, typeName: ".test.v1.Color", jsonName: "color" },
          { name: "circle_radius", number: 5, label: Label.OPTIONAL, type: Type.DOUBLE, jsonName: "circleRadius", oneofIndex: 0 },
          { name: "square_side", number: 6, label: Label.OPTIONAL, type: Type.DOUBLE, jsonName: "squareSide", oneofIndex: 0 },
          { name: "old", number: 7, label: Label.OPTIONAL, type: Type.BOOL, jsonName: "old", options: { deprecated: true } },
        ],
        oneofDecl: [{ name: "kind" }, { name: "_note" }],
        nestedType: [
          {
            name: "SizesEntry",
            options: { mapEntry: true },
            field: [
              { name: "key", number: 1, label: Label.OPTIONAL, type: Type.STRING, jsonName: "key" },
              { name: "value", number: 2, label: Label.OPTIONAL, type: Type.UINT32, jsonName: "value" },
            ],
          },
        ],
      },
    ],
    enumType: [
      {
        name: "Color",
        value: [
          { name: "COLOR_UNSPECIFIED", number: 0 },
          { name: "COLOR_RED", number: 1 },
        ],
      },
    ],
  }),
  () => undefined,
);

describe("formatSchema()", () => {
  it("shows a service's methods with their streams and idempotency levels", () => {
    expect(formatSchema(HelloService)).toBe(
      [
        "service hello.v1.HelloService {",
        "  rpc SayHello(hello.v1.HelloRequest) returns (hello.v1.HelloResponse) { option idempotency_level = NO_SIDE_EFFECTS; }",
        "  rpc LotsOfReplies(hello.v1.HelloRequest) returns (stream hello.v1.HelloResponse) { option idempotency_level = NO_SIDE_EFFECTS; }",
        "  rpc LotsOfGreetings(stream hello.v1.HelloRequest) returns (hello.v1.HelloResponse);",
        "  rpc BidiHello(stream hello.v1.HelloRequest) returns (stream hello.v1.HelloResponse);",
        "}",
      ].join("\n"),
    );
  });

  it("shows a method with its service", () => {
    expect(formatSchema(Health.method.check)).toBe(
      "// grpc.health.v1.Health/Check\nrpc Check(grpc.health.v1.HealthCheckRequest) returns (grpc.health.v1.HealthCheckResponse);",
    );
  });

  it("shows every kind of field, the JSON names that differ, oneofs, and enums", () => {
    const shape = shapes.getMessage("test.v1.Shape");
    const color = shapes.getEnum("test.v1.Color");
    if (shape === undefined || color === undefined) throw new Error("test schema did not load");
    expect(formatSchema(shape)).toBe(
      [
        "message test.v1.Shape {",
        "  repeated string tags = 1;",
        "  map<string, uint32> sizes = 2;",
        "  optional string note = 3;",
        "  test.v1.Color color = 4;",
        "  oneof kind {",
        "    double circle_radius = 5; // JSON: circleRadius",
        "    double square_side = 6; // JSON: squareSide",
        "  }",
        "  bool old = 7 [deprecated = true];",
        "}",
      ].join("\n"),
    );
    expect(formatSchema(color)).toBe("enum test.v1.Color {\n  COLOR_UNSPECIFIED = 0;\n  COLOR_RED = 1;\n}");
  });
});

describe("typesUsedBy()", () => {
  it("lists the messages and enums a service uses, leaving out well-known types", () => {
    expect(typesUsedBy(HelloService).map((t) => t.typeName)).toEqual(["hello.v1.HelloRequest", "hello.v1.HelloResponse"]);
  });

  it("follows fields to the types they use, the element first", () => {
    const response = Health.method.check.output;
    expect(typesUsedBy(response).map((t) => t.typeName)).toEqual([
      "grpc.health.v1.HealthCheckResponse",
      "grpc.health.v1.HealthCheckResponse.ServingStatus",
    ]);
  });
});
