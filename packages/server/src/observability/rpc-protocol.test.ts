import { rpcProtocolOf } from "./rpc-protocol.js";

describe("rpcProtocolOf()", () => {
  it.each([
    ["application/grpc", "grpc"],
    ["application/grpc+proto", "grpc"],
    ["application/grpc+json", "grpc"],
    ["application/grpc-web+proto", "grpc-web"],
    ["application/grpc-web-text", "grpc-web"],
    ["Application/GRPC-Web", "grpc-web"],
    ["application/proto", "connect"],
    ["application/json", "connect"],
    ["application/connect+proto", "connect"],
  ] as const)("%s → %s", (contentType, protocol) => {
    expect(rpcProtocolOf(contentType)).toBe(protocol);
  });

  it("takes a request without a content type for a Connect GET", () => {
    expect(rpcProtocolOf(null)).toBe("connect");
  });
});
