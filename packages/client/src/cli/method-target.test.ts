import { parseMethodTarget } from "./method-target.js";

describe("parseMethodTarget()", () => {
  it.each([
    ["hello.v1.HelloService/SayHello", "hello.v1.HelloService", "SayHello"],
    ["/hello.v1.HelloService/SayHello", "hello.v1.HelloService", "SayHello"],
    ["hello.v1.HelloService.SayHello", "hello.v1.HelloService", "SayHello"],
    ["Service/Method", "Service", "Method"],
    [" grpc.health.v1.Health/Check ", "grpc.health.v1.Health", "Check"],
  ])("reads %s", (text, service, method) => {
    expect(parseMethodTarget(text)).toEqual({ service, method });
  });

  it.each([
    "",
    "SayHello",
    "hello.v1.HelloService/",
    "/SayHello",
    "hello.v1.HelloService/Say-Hello",
    "a//b",
    "hello v1.Service/Method",
    "1x.Service/M",
  ])("refuses %j, with an example", (text) => {
    const result = parseMethodTarget(text);
    expect(result).toBeInstanceOf(Error);
    expect((result as Error).message).toContain("e.g. hello.v1.HelloService/SayHello");
  });
});
