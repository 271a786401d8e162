import { Code, ConnectError, createHandlerContext } from "@connectrpc/connect";
import { Health, HelloService } from "@hello/sdk";
import { captureFastPathMethods } from "./capture-fast-path-methods.js";

describe("captureFastPathMethods()", () => {
  it("captures the methods of every service, of every kind, by request path", () => {
    const methods = captureFastPathMethods((router) => {
      router.service(HelloService, { sayHello: () => ({ reply: "hi" }) });
      router.service(Health, {});
    });
    expect([...methods.keys()]).toEqual([
      "/hello.v1.HelloService/SayHello",
      "/hello.v1.HelloService/LotsOfReplies",
      "/hello.v1.HelloService/LotsOfGreetings",
      "/hello.v1.HelloService/BidiHello",
      "/grpc.health.v1.Health/Check",
      "/grpc.health.v1.Health/Watch",
    ]);
    expect(methods.get("/hello.v1.HelloService/SayHello")?.method).toBe(HelloService.method.sayHello);
  });

  it("binds methods to their service object and answers left-out ones with UNIMPLEMENTED, as connect does", async () => {
    const impl = {
      prefix: "bound",
      sayHello(this: { prefix: string }) {
        return { reply: this.prefix };
      },
    };
    const methods = captureFastPathMethods((router) => {
      router.service(HelloService, impl);
      router.service(Health, {});
    });
    const ctx = createHandlerContext({
      service: HelloService,
      method: HelloService.method.sayHello,
      protocolName: "grpc",
      requestMethod: "POST",
      url: "http://x/",
    });
    const sayHello = methods.get("/hello.v1.HelloService/SayHello");
    expect(await sayHello?.impl({} as never, ctx)).toEqual({ reply: "bound" });
    const check = methods.get("/grpc.health.v1.Health/Check");
    expect(() => check?.impl({} as never, ctx)).toThrow(
      new ConnectError("grpc.health.v1.Health.Check is not implemented", Code.Unimplemented),
    );
  });

  it("leaves out methods registered with options, and lets a later registration replace an earlier one", () => {
    const withOptions = captureFastPathMethods((router) => {
      router.service(HelloService, {}, { readMaxBytes: 10 });
    });
    expect(withOptions.size).toBe(0);
    const replaced = captureFastPathMethods((router) => {
      router.service(HelloService, {});
      router.rpc(HelloService.method.sayHello, () => ({ reply: "rpc" }), { interceptors: [] });
    });
    expect(replaced.has("/hello.v1.HelloService/SayHello")).toBe(false);
    const rpc = captureFastPathMethods((router) => {
      router.rpc(HelloService.method.sayHello, () => ({ reply: "rpc" }));
    });
    expect([...rpc.keys()]).toEqual(["/hello.v1.HelloService/SayHello"]);
  });

  it("gives the routes a working router: what is registered is visible in its handlers", () => {
    let seen = 0;
    captureFastPathMethods((router) => {
      router.service(HelloService, {});
      seen = router.handlers.length;
    });
    expect(seen).toBe(HelloService.methods.length);
  });
});
