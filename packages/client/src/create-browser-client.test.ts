/**
 * The browser entry's `createClient`, run in Node over its global fetch (the API browsers
 * have) against a small connect server on 127.0.0.1: any service, gRPC-Web or Connect,
 * with the same retries and headers as in Node; gRPC and bidi streams refused up front.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus, reflectionV1 } from "@hello/sdk";
import { createClient, REQUEST_ID_HEADER } from "./browser.js";
import { startTestServices, type TestServices } from "./test-support/start-test-services.js";
import { TodoService } from "./test-support/todo-service.js";

const received: Headers[] = [];
const record: Interceptor = (next) => (req) => {
  received.push(new Headers(req.header));
  return next(req);
};
const attempts = new Map<string, number>();

let services: TestServices;

beforeAll(async () => {
  services = await startTestServices(
    (router) => {
      router.service(Health, { check: () => ({ status: HealthCheckResponse_ServingStatus.SERVING }) });
      router.service(TodoService, {
        getTodo(req: { id: string }, ctx: { requestHeader: Headers }) {
          const id = ctx.requestHeader.get(REQUEST_ID_HEADER) ?? "";
          const attempt = (attempts.get(id) ?? 0) + 1;
          attempts.set(id, attempt);
          if (attempt === 1) throw new ConnectError("first attempt fails", Code.Unavailable);
          return { id: req.id, title: "retried" };
        },
      } as never);
    },
    [record],
  );
});

afterAll(() => services.close());

describe("createClient() (browser)", () => {
  it.each(["grpc-web", "connect"] as const)("calls a generated service over %s with fetch", async (protocol) => {
    const health = createClient(Health, { baseUrl: services.http1Url, protocol, requestId: () => `browser-${protocol}` });
    const response = await health.check({ service: "" });
    expect(response.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect(received.at(-1)?.get(REQUEST_ID_HEADER)).toBe(`browser-${protocol}`);
    health.close();
  });

  it("retries a NO_SIDE_EFFECTS method of a service described at run time", async () => {
    const todos = createClient(TodoService, {
      baseUrl: services.http1Url,
      protocol: "connect",
      requestId: () => "browser-retry",
      retry: { initialBackoffMs: 1, maxBackoffMs: 5 },
    }) as unknown as Record<string, (req: JsonObject) => Promise<unknown>>;
    await expect(todos["getTodo"]?.({ id: "1" })).resolves.toMatchObject({ id: "1", title: "retried" });
    expect(attempts.get("browser-retry")).toBe(2);
  });

  it("refuses gRPC with INVALID_ARGUMENT: browsers cannot read HTTP/2 trailers", () => {
    expect(() => createClient(Health, { baseUrl: services.http1Url, protocol: "grpc" })).toThrow(/grpc-web.*connect/);
  });

  it("fails a bidi stream with UNIMPLEMENTED before sending anything", async () => {
    const reflection = createClient(reflectionV1.ServerReflection, { baseUrl: services.http1Url, protocol: "connect" });
    const before = received.length;
    let error: ConnectError | undefined;
    try {
      const requests = (async function* () {
        yield { messageRequest: { case: "listServices" as const, value: "" } };
      })();
      for await (const _ of reflection.serverReflectionInfo(requests)) {
        // Nothing arrives.
      }
    } catch (e) {
      error = ConnectError.from(e);
    }
    expect(error?.code).toBe(Code.Unimplemented);
    expect(received.length).toBe(before);
  });
});
