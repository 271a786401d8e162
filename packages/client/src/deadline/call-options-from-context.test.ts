import { createHandlerContext } from "@connectrpc/connect";
import { HelloService } from "@hello/sdk";
import { callOptionsFromContext } from "./call-options-from-context.js";

const contexts: ReturnType<typeof createHandlerContext>[] = [];
afterEach(() => {
  // Clears each context's deadline timer.
  for (const ctx of contexts.splice(0)) ctx.abort();
});

function contextWith(timeoutMs: number | undefined, requestSignal = new AbortController().signal) {
  const ctx = createHandlerContext({
    service: HelloService,
    method: HelloService.method.sayHello,
    protocolName: "connect",
    requestMethod: "POST",
    url: "http://localhost/hello.v1.HelloService/SayHello",
    requestSignal,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });
  contexts.push(ctx);
  return ctx;
}

describe("callOptionsFromContext()", () => {
  it("passes on the handler's signal and the time left", () => {
    const controller = new AbortController();
    const options = callOptionsFromContext(contextWith(1_000, controller.signal));
    expect(options.timeoutMs).toBeGreaterThan(900);
    expect(options.timeoutMs).toBeLessThanOrEqual(1_000);
    expect(options.signal.aborted).toBe(false);
    controller.abort();
    expect(options.signal.aborted).toBe(true);
  });

  it("has no timeout when the handler has no deadline", () => {
    expect(callOptionsFromContext(contextWith(undefined))).toEqual({ signal: expect.any(AbortSignal) });
  });

  it("gives at least 1 ms once the deadline has passed: 0 would mean no deadline", () => {
    expect(callOptionsFromContext({ signal: AbortSignal.abort(), timeoutMs: () => -50 }).timeoutMs).toBe(1);
  });
});
