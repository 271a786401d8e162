import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { Health, type HealthCheckResponse, HealthCheckResponse_ServingStatus as Status } from "@hello/sdk";
import { createHealthStatus, type HealthStatus } from "../health/health-status.js";
import { createGreeter } from "../hello/greeter.js";
import { withPlatformServices } from "../platform-services.js";
import { createRoutes } from "../routes.js";

// In-memory: the real routes (which set "" and every registered service SERVING), no sockets.
function setup(): { health: HealthStatus; client: ReturnType<typeof createClient<typeof Health>> } {
  const health = createHealthStatus();
  const transport = createRouterTransport(withPlatformServices(createRoutes({ greeter: createGreeter() }), { health }));
  return { health, client: createClient(Health, transport) };
}

/** Reads the next message of a stream, failing instead of hanging. */
async function next(it: AsyncIterator<HealthCheckResponse>): Promise<Status | "end"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("no message within 2 s")), 2_000);
  });
  const result = await Promise.race([it.next(), timeout]).finally(() => clearTimeout(timer));
  return result.done ? "end" : result.value.status;
}

async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

describe("Health service", () => {
  describe("check()", () => {
    it("reports SERVING for the server and HelloService", async () => {
      const { client } = setup();
      expect((await client.check({ service: "" })).status).toBe(Status.SERVING);
      expect((await client.check({ service: "hello.v1.HelloService" })).status).toBe(Status.SERVING);
      expect((await client.check({ service: "grpc.health.v1.Health" })).status).toBe(Status.SERVING);
    });

    it("reports what the store says", async () => {
      const { client, health } = setup();
      health.set("hello.v1.HelloService", "NOT_SERVING");
      expect((await client.check({ service: "hello.v1.HelloService" })).status).toBe(Status.NOT_SERVING);
    });

    it("fails with NOT_FOUND for an unknown service", async () => {
      const { client } = setup();
      const error = await client.check({ service: "no.such.Service" }).then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      expect(error?.code).toBe(Code.NotFound);
      expect(error?.rawMessage).toBe('unknown service "no.such.Service": this server reports no health status for it');
    });
  });

  describe("watch()", () => {
    it("sends the current status, then every change, and removes its listener when cancelled", async () => {
      const { client, health } = setup();
      const ac = new AbortController();
      const it = client.watch({ service: "hello.v1.HelloService" }, { signal: ac.signal })[Symbol.asyncIterator]();
      expect(await next(it)).toBe(Status.SERVING);
      health.set("hello.v1.HelloService", "NOT_SERVING");
      expect(await next(it)).toBe(Status.NOT_SERVING);
      health.set("hello.v1.HelloService", "SERVING");
      expect(await next(it)).toBe(Status.SERVING);
      expect(health.listenerCount).toBe(1);
      ac.abort();
      await expect(it.next()).rejects.toMatchObject({ code: Code.Canceled });
      await eventually(() => health.listenerCount === 0);
    });

    it("sends SERVICE_UNKNOWN for an unknown service and keeps the stream open", async () => {
      const { client, health } = setup();
      const ac = new AbortController();
      const it = client.watch({ service: "later.v1.Service" }, { signal: ac.signal })[Symbol.asyncIterator]();
      expect(await next(it)).toBe(Status.SERVICE_UNKNOWN);
      health.set("later.v1.Service", "SERVING");
      expect(await next(it)).toBe(Status.SERVING);
      ac.abort();
      await eventually(() => health.listenerCount === 0);
    });

    it("sends NOT_SERVING and ends when the store shuts down", async () => {
      const { client, health } = setup();
      const it = client.watch({ service: "" })[Symbol.asyncIterator]();
      expect(await next(it)).toBe(Status.SERVING);
      health.shutdown();
      expect(await next(it)).toBe(Status.NOT_SERVING);
      expect(await next(it)).toBe("end");
      expect(health.listenerCount).toBe(0);
    });
  });
});
