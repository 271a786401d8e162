import { create, toBinary, fromBinary, getOption } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { field } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { HelloRequestSchema, HelloResponseSchema, HelloService } from "./index.js";

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
