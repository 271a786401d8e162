import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { createValidateInterceptor } from "@connectrpc/validate";
import { HelloService } from "@hello/sdk";
import { Registry } from "prom-client";
import { createErrorBoundaryInterceptor } from "../interceptors/error-boundary.js";
import { parsePrometheusText, sumOf } from "../test-support/prometheus-text.js";
import { createObserveCallsInterceptor } from "./observe-calls-interceptor.js";
import { createRpcMetrics } from "./rpc-metrics.js";

function setup(registry = new Registry()) {
  const metrics = createRpcMetrics(registry);
  const transport = createRouterTransport(
    (r) =>
      r.service(HelloService, {
        sayHello(req) {
          if (req.greeting === "missing") throw new ConnectError("no such greeting", Code.NotFound);
          return { reply: `Hello, ${req.greeting}!` };
        },
        async *lotsOfReplies(req) {
          for (let i = 0; i < req.replyCount; i++) yield { reply: String(i) };
        },
        async lotsOfGreetings(reqs) {
          let n = 0;
          for await (const _ of reqs) n++;
          return { reply: String(n) };
        },
      }),
    {
      router: {
        interceptors: [
          createObserveCallsInterceptor([metrics]),
          createErrorBoundaryInterceptor({ onUnexpectedError: () => {} }),
          createValidateInterceptor(),
        ],
      },
    },
  );
  return { client: createClient(HelloService, transport), registry, metrics };
}

const scrape = async (registry: Registry) => parsePrometheusText(await registry.metrics());
const ignore = (p: Promise<unknown>) => p.catch(() => undefined);
const sayHello = { grpc_service: "hello.v1.HelloService", grpc_method: "SayHello", grpc_type: "unary", protocol: "connect" };

describe("createRpcMetrics()", () => {
  it("counts started and handled calls by method, type, protocol and code", async () => {
    const { client, registry } = setup();
    await client.sayHello({ greeting: "a" });
    await client.sayHello({ greeting: "b" });
    await ignore(client.sayHello({ greeting: "" }));
    await ignore(client.sayHello({ greeting: "missing" }));
    const samples = await scrape(registry);
    expect(sumOf(samples, "grpc_server_started_total", sayHello)).toBe(4);
    expect(sumOf(samples, "grpc_server_handled_total", { ...sayHello, grpc_code: "OK" })).toBe(2);
    expect(sumOf(samples, "grpc_server_handled_total", { ...sayHello, grpc_code: "InvalidArgument" })).toBe(1);
    expect(sumOf(samples, "grpc_server_handled_total", { ...sayHello, grpc_code: "NotFound" })).toBe(1);
    expect(sumOf(samples, "grpc_server_handled_total", { grpc_code: "Internal" })).toBe(0);
    expect(sumOf(samples, "grpc_server_msg_received_total", sayHello)).toBe(4);
    expect(sumOf(samples, "grpc_server_msg_sent_total", sayHello)).toBe(2);
  });

  it("times every handled call in a histogram with Go's default buckets", async () => {
    const { client, registry } = setup();
    await client.sayHello({ greeting: "a" });
    await ignore(client.sayHello({ greeting: "" }));
    const samples = await scrape(registry);
    expect(sumOf(samples, "grpc_server_handling_seconds_count", sayHello)).toBe(2);
    expect(sumOf(samples, "grpc_server_handling_seconds_sum", sayHello)).toBeGreaterThan(0);
    const buckets = samples.filter((s) => s.name === "grpc_server_handling_seconds_bucket").map((s) => s.labels["le"]);
    expect(buckets).toEqual(["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"]);
    expect(sumOf(samples, "grpc_server_handling_seconds_bucket", { ...sayHello, le: "+Inf" })).toBe(2);
  });

  it("counts stream messages in each direction", async () => {
    const { client, registry } = setup();
    for await (const _ of client.lotsOfReplies({ greeting: "x", replyCount: 5 }));
    await client.lotsOfGreetings(
      (async function* () {
        yield* [{ greeting: "a" }, { greeting: "b" }];
      })(),
    );
    const samples = await scrape(registry);
    const replies = { grpc_method: "LotsOfReplies", grpc_type: "server_stream" };
    const greetings = { grpc_method: "LotsOfGreetings", grpc_type: "client_stream" };
    expect(sumOf(samples, "grpc_server_msg_sent_total", replies)).toBe(5);
    expect(sumOf(samples, "grpc_server_msg_received_total", replies)).toBe(1);
    expect(sumOf(samples, "grpc_server_msg_received_total", greetings)).toBe(2);
    expect(sumOf(samples, "grpc_server_msg_sent_total", greetings)).toBe(1);
    expect(sumOf(samples, "grpc_server_handled_total", { ...replies, grpc_code: "OK" })).toBe(1);
  });

  it("keeps counting across scrapes, and adds up servers that share a registry", async () => {
    const registry = new Registry();
    const first = setup(registry);
    const second = setup(registry);
    expect(second.metrics).toBe(first.metrics);
    await first.client.sayHello({ greeting: "a" });
    expect(sumOf(await scrape(registry), "grpc_server_handled_total", sayHello)).toBe(1);
    await second.client.sayHello({ greeting: "b" });
    expect(sumOf(await scrape(registry), "grpc_server_handled_total", sayHello)).toBe(2);
  });

  it("shows no series for methods never called", async () => {
    const { registry } = setup();
    const text = await registry.metrics();
    expect(text).toContain("# TYPE grpc_server_started_total counter");
    expect(text).toContain("# TYPE grpc_server_handling_seconds histogram");
    expect(parsePrometheusText(text)).toEqual([]);
  });
});
