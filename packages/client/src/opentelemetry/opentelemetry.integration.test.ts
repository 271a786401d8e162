/**
 * OpenTelemetry across two hops, on real servers (127.0.0.1, port 0): a client calls a
 * front server whose handler calls a back server with a client of its own. With the OTel
 * SDK registered (NodeTracerProvider: AsyncLocalStorage context, W3C propagation, an
 * in-memory exporter), the four spans form one trace — client → server → downstream client
 * → second server — with the RPC semantic conventions' attributes and status codes, over
 * gRPC and Connect, with the servers' fast path on and off. Without an SDK nothing is sent.
 */
import { Code, ConnectError, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { context, propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { HelloService } from "@hello/sdk";
import { createHelloServer, createServer, type Server } from "@hello/server";
import { type ClientProtocol, createClient, type ServiceClient } from "../index.js";

const SERVICE = "hello.v1.HelloService";

interface Hops {
  front: Server;
  back: Server;
  downstream: ServiceClient<typeof HelloService>;
  client: ServiceClient<typeof HelloService>;
  /** The `traceparent` header of each call the back server saw. */
  backHeaders: (string | null)[];
}

/** The back server (the hello server), the front server calling it, and a client of the front one. */
async function startHops(protocol: ClientProtocol, fastPath: boolean): Promise<Hops> {
  const backHeaders: (string | null)[] = [];
  const recordTraceparent: Interceptor = (next) => (req) => {
    backHeaders.push(req.header.get("traceparent"));
    return next(req);
  };
  const back = createHelloServer({ port: 0, host: "127.0.0.1", fastPath, metrics: false, interceptors: [recordTraceparent] });
  await back.listen();
  const downstream = createClient(HelloService, { baseUrl: back.url, protocol, retry: false });
  const routes = (router: ConnectRouter) =>
    router.service(HelloService, {
      async sayHello(req, ctx) {
        if (req.greeting === "internal") throw new ConnectError("the front server broke", Code.Internal);
        // "invalid" makes the back server refuse an empty greeting.
        const greeting = req.greeting === "invalid" ? "" : req.greeting;
        const { reply } = await downstream.sayHello({ greeting }, { signal: ctx.signal });
        return { reply: `front: ${reply}` };
      },
      async *lotsOfReplies(req, ctx) {
        for await (const res of downstream.lotsOfReplies(req, { signal: ctx.signal })) yield res;
      },
    });
  const front = createServer({ port: 0, host: "127.0.0.1", fastPath, metrics: false, routes });
  await front.listen();
  const client = createClient(HelloService, { baseUrl: front.url, protocol, retry: false });
  return { front, back, downstream, client, backHeaders };
}

async function stopHops(hops: Hops): Promise<void> {
  hops.client.close();
  hops.downstream.close();
  await Promise.all([hops.front.close(0), hops.back.close(0)]);
}

const portOf = (server: Server) => server.port;

describe("without an OpenTelemetry SDK", () => {
  it("makes no spans and sends no traceparent downstream", async () => {
    const hops = await startHops("grpc", true);
    try {
      const { reply } = await hops.client.sayHello({ greeting: "quiet" });
      expect(reply).toBe("front: Hello, quiet!");
      expect(hops.backHeaders).toEqual([null]);
    } finally {
      await stopHops(hops);
    }
  });
});

describe("with an OpenTelemetry SDK", () => {
  const exporter = new InMemorySpanExporter();
  let provider: NodeTracerProvider;

  beforeAll(() => {
    provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider.register();
  });

  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  /** The spans of the trace the top client span started, once `count` of them have ended. */
  async function traceOf(
    count: number,
  ): Promise<{ client: ReadableSpan; server: ReadableSpan; downstream: ReadableSpan; back: ReadableSpan | undefined }> {
    for (let i = 0; i < 400 && exporter.getFinishedSpans().length < count; i++) await new Promise((r) => setTimeout(r, 5));
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(count);
    const client = spans.find((s) => s.kind === SpanKind.CLIENT && s.parentSpanContext === undefined);
    expect(client).toBeDefined();
    const childOf = (parent: ReadableSpan | undefined, kind: SpanKind) =>
      spans.find((s) => s.kind === kind && s.parentSpanContext?.spanId === parent?.spanContext().spanId);
    const server = childOf(client, SpanKind.SERVER);
    const downstream = childOf(server, SpanKind.CLIENT);
    const back = childOf(downstream, SpanKind.SERVER);
    expect(server).toBeDefined();
    for (const span of spans) expect(span.spanContext().traceId).toBe(client!.spanContext().traceId);
    return { client: client!, server: server!, downstream: downstream!, back };
  }

  describe.each([
    ["grpc", true],
    ["grpc", false],
    ["connect", true],
    ["connect", false],
  ] as const)("over %s, fast path %s", (protocol, fastPath) => {
    let hops: Hops;
    const system = protocol === "grpc" ? "grpc" : "connect_rpc";

    beforeAll(async () => {
      hops = await startHops(protocol, fastPath);
    });
    afterAll(() => stopHops(hops));
    beforeEach(() => exporter.reset());

    it("parents each hop's span to the one before: client → server → downstream client → second server", async () => {
      expect((await hops.client.sayHello({ greeting: "otel" })).reply).toBe("front: Hello, otel!");
      const { client, server, downstream, back } = await traceOf(4);
      expect(back).toBeDefined();
      for (const span of [client, server, downstream, back!]) {
        expect(span.name).toBe(`${SERVICE}/SayHello`);
        expect(span.attributes).toMatchObject({ "rpc.system": system, "rpc.service": SERVICE, "rpc.method": "SayHello" });
        expect(span.status.code).toBe(SpanStatusCode.UNSET);
        if (protocol === "grpc") expect(span.attributes["rpc.grpc.status_code"]).toBe(0);
        else expect(span.attributes).not.toHaveProperty("rpc.connect_rpc.error_code");
      }
      expect(client.attributes).toMatchObject({ "server.address": "127.0.0.1", "server.port": portOf(hops.front) });
      expect(downstream.attributes).toMatchObject({ "server.address": "127.0.0.1", "server.port": portOf(hops.back) });
      expect(server.attributes).toMatchObject({
        "server.address": "127.0.0.1",
        "server.port": portOf(hops.front),
        "network.peer.address": "127.0.0.1",
      });
      expect(back!.attributes).toMatchObject({ "server.port": portOf(hops.back) });
      // The back server was sent the downstream client span's context.
      const sent = hops.backHeaders.at(-1);
      expect(sent).toBe(`00-${downstream.spanContext().traceId}-${downstream.spanContext().spanId}-01`);
    });

    it("records a status the back server returns on every span, as an error on the clients only", async () => {
      const error = await hops.client.sayHello({ greeting: "invalid" }).then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      expect(error?.code).toBe(Code.InvalidArgument);
      const spans = await traceOf(4);
      for (const span of Object.values(spans)) {
        if (protocol === "grpc") expect(span!.attributes["rpc.grpc.status_code"]).toBe(Code.InvalidArgument);
        else expect(span!.attributes["rpc.connect_rpc.error_code"]).toBe("invalid_argument");
      }
      // A client's mistake is not the server's fault (semantic conventions, "gRPC Status").
      expect(spans.client.status.code).toBe(SpanStatusCode.ERROR);
      expect(spans.downstream.status.code).toBe(SpanStatusCode.ERROR);
      expect(spans.server.status.code).toBe(SpanStatusCode.UNSET);
      expect(spans.back!.status.code).toBe(SpanStatusCode.UNSET);
    });

    it("marks a server fault as an error on the server span", async () => {
      const error = await hops.client.sayHello({ greeting: "internal" }).then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      expect(error?.code).toBe(Code.Internal);
      const { client, server } = await traceOf(2);
      expect(server.status).toEqual({ code: SpanStatusCode.ERROR, message: "the front server broke" });
      expect(client.status.code).toBe(SpanStatusCode.ERROR);
      if (protocol === "grpc") expect(server.attributes["rpc.grpc.status_code"]).toBe(Code.Internal);
      else expect(server.attributes["rpc.connect_rpc.error_code"]).toBe("internal");
    });

    it("parents a streaming handler's downstream stream to its span", async () => {
      const replies: string[] = [];
      for await (const res of hops.client.lotsOfReplies({ greeting: "s", replyCount: 3 })) replies.push(res.reply);
      expect(replies).toHaveLength(3);
      const { client, back } = await traceOf(4);
      expect(back).toBeDefined();
      expect(client.name).toBe(`${SERVICE}/LotsOfReplies`);
      expect(back!.name).toBe(`${SERVICE}/LotsOfReplies`);
    });
  });
});
