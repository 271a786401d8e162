import { createHandlerContext } from "@connectrpc/connect";
import { HelloService } from "@hello/sdk";
import { callScopeOf, downstreamCallOptions } from "./call-scope.js";

function context(timeoutMs?: number) {
  return createHandlerContext({
    service: HelloService,
    method: HelloService.method.sayHello,
    protocolName: "test",
    requestMethod: "POST",
    url: "http://127.0.0.1/hello.v1.HelloService/SayHello",
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });
}

describe("downstreamCallOptions()", () => {
  it("passes on the signal and the time left until the deadline", async () => {
    const ctx = context(1_000);
    await new Promise((r) => setTimeout(r, 50));
    const options = downstreamCallOptions(ctx);
    expect(options.signal).toBe(ctx.signal);
    expect(options.timeoutMs).toBeLessThanOrEqual(960);
    expect(options.timeoutMs).toBeGreaterThan(500);
  });

  it("sets no timeout when the call has no deadline", () => {
    expect(downstreamCallOptions(context())).toEqual({ signal: expect.any(AbortSignal) });
  });

  it("works from a call scope, and aborts downstream work with the call", () => {
    const ctx = context(5_000);
    const scope = callScopeOf(ctx);
    const options = downstreamCallOptions(scope);
    expect(options.signal.aborted).toBe(false);
    ctx.abort();
    expect(options.signal.aborted).toBe(true);
  });
});
