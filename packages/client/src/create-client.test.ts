/**
 * `createClient` with services other than HelloService: Health from @hello/sdk (generated
 * code) and `test.v1.TodoService`, made at run time as from server reflection. A small
 * connect server on 127.0.0.1 answers them; the hello server's matrix over every protocol
 * is in create-client.integration.test.ts.
 */
import * as net from "node:net";
import type { JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus } from "@hello/sdk";
import { createClient, REQUEST_ID_HEADER, type ServiceClient } from "./index.js";
import { startTestServices, type TestServices } from "./test-support/start-test-services.js";
import { TodoService } from "./test-support/todo-service.js";

/** Request headers of every call the server received, in order. */
const received: { method: string; header: Headers }[] = [];
const record: Interceptor = (next) => (req) => {
  received.push({ method: req.method.name, header: new Headers(req.header) });
  return next(req);
};

/** Calls to each Todo method so far, by request id: the first `x-test-fail` attempts fail. */
const attempts = new Map<string, number>();
function failFirst(header: Headers): void {
  const id = header.get(REQUEST_ID_HEADER) ?? "";
  const attempt = (attempts.get(id) ?? 0) + 1;
  attempts.set(id, attempt);
  if (attempt <= Number(header.get("x-test-fail") ?? "0")) {
    throw new ConnectError(`attempt ${attempt} fails`, Code.Unavailable);
  }
}

let services: TestServices;
const clients: ServiceClient<never>[] = [];

beforeAll(async () => {
  services = await startTestServices(
    (router) => {
      router.service(Health, {
        check: (req) => ({
          status: req.service === "" ? HealthCheckResponse_ServingStatus.SERVING : HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN,
        }),
        async *watch(_req, ctx) {
          yield { status: HealthCheckResponse_ServingStatus.SERVING };
          // Like a real Watch: open until the client goes away.
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
        },
      });
      router.service(TodoService, {
        getTodo(req: { id: string }, ctx: { requestHeader: Headers }) {
          failFirst(ctx.requestHeader);
          return { id: req.id, title: `todo ${req.id}` };
        },
        addTodo(req: { title: string }, ctx: { requestHeader: Headers }) {
          failFirst(ctx.requestHeader);
          return { id: "new", title: req.title };
        },
        async *listTodos(req: { pageSize: number }) {
          for (let i = 1; i <= req.pageSize; i++) yield { id: String(i), title: `todo ${i}` };
        },
      } as never);
    },
    [record],
  );
});

afterAll(async () => {
  for (const client of clients) client.close();
  await services.close();
});

/** A client closed after the suite. */
function track<C extends { close(): void }>(client: C): C {
  clients.push(client as never);
  return client;
}

/** The TodoService client's methods, which a descriptor made at run time cannot type. */
type TodoClient = Record<string, (request: JsonObject, options?: object) => Promise<{ id: string; title: string }>> & {
  listTodos(request: JsonObject): AsyncIterable<{ id: string }>;
};

async function errorOf(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected the call to fail");
}

describe("createClient()", () => {
  it("calls a generated service other than HelloService, typed from its descriptor", async () => {
    const health = track(createClient(Health, { baseUrl: services.http2Url, protocol: "grpc" }));
    const response = await health.check({ service: "" });
    expect(response.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    const statuses: HealthCheckResponse_ServingStatus[] = [];
    const stop = new AbortController();
    const error = await errorOf(
      (async () => {
        for await (const update of health.watch({ service: "" }, { signal: stop.signal })) {
          statuses.push(update.status);
          stop.abort();
        }
      })(),
    );
    expect(statuses).toEqual([HealthCheckResponse_ServingStatus.SERVING]);
    expect(error.code).toBe(Code.Canceled);
  });

  it.each([
    ["grpc", "2", "http2Url"],
    ["grpc-web", "1.1", "http1Url"],
    ["grpc-web", "2", "http2Url"],
    ["connect", "1.1", "http1Url"],
    ["connect", "2", "http2Url"],
  ] as const)("calls a service described at run time over %s, HTTP/%s", async (protocol, httpVersion, url) => {
    const todos = track(createClient(TodoService, { baseUrl: services[url], protocol, httpVersion })) as unknown as TodoClient;
    await expect(todos["getTodo"]?.({ id: "7" })).resolves.toMatchObject({ id: "7", title: "todo 7" });
    const ids: string[] = [];
    for await (const todo of todos.listTodos({ pageSize: 3 })) ids.push(todo.id);
    expect(ids).toEqual(["1", "2", "3"]);
  });

  it("retries a method whose proto says NO_SIDE_EFFECTS, with the same request id", async () => {
    const todos = track(
      createClient(TodoService, {
        baseUrl: services.http2Url,
        protocol: "grpc",
        requestId: () => "todo-retry-1",
        retry: { initialBackoffMs: 1, maxBackoffMs: 5 },
      }),
    ) as unknown as TodoClient;
    const todo = await todos["getTodo"]?.({ id: "1" }, { headers: { "x-test-fail": "2" } });
    expect(todo).toMatchObject({ id: "1" });
    expect(attempts.get("todo-retry-1")).toBe(3);
  });

  it("never retries a method without an idempotency level", async () => {
    const todos = track(
      createClient(TodoService, {
        baseUrl: services.http2Url,
        protocol: "grpc",
        requestId: () => "todo-retry-2",
        retry: { initialBackoffMs: 1, maxBackoffMs: 5 },
      }),
    ) as unknown as TodoClient;
    const error = await errorOf(todos["addTodo"]?.({ title: "x" }, { headers: { "x-test-fail": "1" } }) ?? Promise.resolve());
    expect(error.code).toBe(Code.Unavailable);
    expect(attempts.get("todo-retry-2")).toBe(1);
  });

  it("sends the request id, bearer token and default headers of its options", async () => {
    const health = track(
      createClient(Health, {
        baseUrl: services.http1Url,
        protocol: "connect",
        httpVersion: "1.1",
        token: "secret-token",
        headers: { "x-tenant": "acme" },
        requestId: () => "health-1",
      }),
    );
    await health.check({ service: "" });
    const header = received.findLast((r) => r.method === "Check")?.header;
    expect(header?.get(REQUEST_ID_HEADER)).toBe("health-1");
    expect(header?.get("authorization")).toBe("Bearer secret-token");
    expect(header?.get("x-tenant")).toBe("acme");
  });

  it("refuses a reserved header in its options with INVALID_ARGUMENT", () => {
    expect(() => createClient(Health, { baseUrl: services.http2Url, protocol: "grpc", headers: { "grpc-timeout": "1S" } })).toThrow(
      /grpc-timeout/,
    );
  });

  it("ends a call at its deadline with DEADLINE_EXCEEDED", async () => {
    const health = track(createClient(Health, { baseUrl: services.http2Url, protocol: "grpc", timeoutMs: 200 }));
    const error = await errorOf(
      (async () => {
        for await (const _ of health.watch({ service: "" })) {
          // The server keeps the stream open; the deadline ends it.
        }
      })(),
    );
    expect(error.code).toBe(Code.DeadlineExceeded);
  });

  it("compresses requests with sendCompression", async () => {
    const health = track(
      createClient(Health, { baseUrl: services.http2Url, protocol: "grpc", sendCompression: "gzip", compressMinBytes: 1 }),
    );
    await health.check({ service: "" }, { headers: { "x-marker": "compressed" } });
    const header = received.findLast((r) => r.header.get("x-marker") === "compressed")?.header;
    expect(header?.get("grpc-encoding")).toBe("gzip");
  });

  it("has an HTTP/2 channel that connects and closes, and none over HTTP/1.1", async () => {
    const health = track(createClient(Health, { baseUrl: services.http2Url, protocol: "connect" }));
    expect(health.channel?.state()).toBe("idle");
    await health.check({ service: "" });
    expect(health.channel?.state()).toBe("open");
    health.close();
    expect(health.channel?.state()).toBe("idle");
    await health.check({ service: "" });
    expect(health.channel?.state()).toBe("open");

    const overHttp1 = track(createClient(Health, { baseUrl: services.http1Url, protocol: "connect", httpVersion: "1.1" }));
    expect(overHttp1.channel).toBeUndefined();
  });

  it("fails with UNAVAILABLE when nothing listens (normalised from Node's ECONNREFUSED)", async () => {
    const port = await closedPort();
    const health = track(createClient(Health, { baseUrl: `http://127.0.0.1:${port}`, protocol: "grpc", retry: false }));
    const error = await errorOf(health.check({ service: "" }));
    expect(error.code).toBe(Code.Unavailable);
  });
});

/** A port on 127.0.0.1 that nothing listens on (just released). */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
