/**
 * createClient's wire options against real servers (127.0.0.1, port 0): JSON over every
 * protocol, Connect GET for side-effect-free methods, a limit on response messages, and
 * protobuf-es JSON options.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { HelloService } from "@hello/sdk";
import { createHelloServer, type Server } from "@hello/server";
import { createClient } from "./create-client.js";
import { startTestServices, type TestServices } from "./test-support/start-test-services.js";
import { TodoService } from "./test-support/todo-service.js";

let server: Server;
beforeAll(async () => {
  server = createHelloServer({ port: 0, host: "127.0.0.1" });
  await server.listen();
});
afterAll(() => server.close(1_000));

async function failure(promise: Promise<unknown>): Promise<ConnectError | undefined> {
  return promise.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
}

describe("useJson", () => {
  it.each([
    ["grpc", "2", "application/grpc+json"],
    ["grpc-web", "2", "application/grpc-web+json"],
    ["grpc-web", "1.1", "application/grpc-web+json"],
    ["connect", "2", "application/json"],
    ["connect", "1.1", "application/json"],
  ] as const)("%s over HTTP/%s speaks JSON (%s)", async (protocol, httpVersion, contentType) => {
    const client = createClient(HelloService, { baseUrl: server.url, protocol, httpVersion, useJson: true });
    try {
      let seen: string | null = null;
      const { reply } = await client.sayHello({ greeting: "json" }, { onHeader: (h) => (seen = h.get("content-type")) });
      expect(reply).toBe("Hello, json!");
      expect(seen).toBe(contentType);
    } finally {
      client.close();
    }
  });
});

describe("readMaxBytes", () => {
  it.each(["grpc", "grpc-web", "connect"] as const)("fails a %s response over the limit with RESOURCE_EXHAUSTED", async (protocol) => {
    const client = createClient(HelloService, { baseUrl: server.url, protocol, readMaxBytes: 64, retry: false });
    try {
      expect((await client.sayHello({ greeting: "small" })).reply).toBe("Hello, small!");
      const error = await failure(client.sayHello({ greeting: "x".repeat(200) }));
      expect(error?.code).toBe(Code.ResourceExhausted);
    } finally {
      client.close();
    }
  });
});

describe("useHttpGet", () => {
  let services: TestServices;
  const methods: string[] = [];
  beforeAll(async () => {
    services = await startTestServices(
      (router: ConnectRouter) => {
        router.service(TodoService, {
          getTodo: (req: { id: string }) => ({ id: req.id, title: "got" }),
          addTodo: (req: { id: string; title: string }) => req,
        } as never);
      },
      [
        (next) => async (req) => {
          methods.push(`${req.method.name} ${req.requestMethod}`);
          return next(req);
        },
      ],
    );
  });
  afterAll(() => services.close());

  it.each(["1.1", "2"] as const)(
    "sends side-effect-free Connect calls as GET over HTTP/%s, and the others as POST",
    async (httpVersion) => {
      const baseUrl = httpVersion === "2" ? services.http2Url : services.http1Url;
      const client = createClient(TodoService, { baseUrl, protocol: "connect", httpVersion, useHttpGet: true }) as unknown as Record<
        string,
        (req: unknown) => Promise<Record<string, unknown>>
      > & { close(): void };
      try {
        methods.length = 0;
        expect((await client["getTodo"]!({ id: "t1" }))["title"]).toBe("got");
        await client["addTodo"]!({ id: "t2", title: "posted" });
        expect(methods).toEqual(["GetTodo GET", "AddTodo POST"]);
      } finally {
        client.close();
      }
    },
  );
});

describe("jsonOptions", () => {
  it("reach the request's JSON serializer (alwaysEmitImplicit writes default fields)", async () => {
    // A bare HTTP server that records each Connect JSON request body and answers one reply.
    const bodies: string[] = [];
    const raw = http.createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        bodies.push(body);
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"reply":"ok"}');
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", resolve));
    const baseUrl = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
    try {
      for (const jsonOptions of [undefined, { alwaysEmitImplicit: true }]) {
        const client = createClient(HelloService, {
          baseUrl,
          protocol: "connect",
          httpVersion: "1.1",
          useJson: true,
          ...(jsonOptions ? { jsonOptions } : {}),
        });
        expect((await client.sayHello({ greeting: "" })).reply).toBe("ok");
        client.close();
      }
      expect(JSON.parse(bodies[0]!)).toEqual({});
      expect(JSON.parse(bodies[1]!)).toEqual(expect.objectContaining({ greeting: "", replyCount: 0 }));
    } finally {
      raw.close();
    }
  });
});
