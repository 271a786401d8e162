/**
 * The internals switch (`ServerOptions.internals`): the same requests to a server with every
 * trick on a private API turned on and one with them all off must get the same responses —
 * status, headers, trailers, body bytes — and write the same call-log lines. Only how the
 * bytes were produced may differ: the fast path and never-indexed HPACK literals with the
 * switch on, connect and plain HPACK with it off. The suite runs on every supported Node.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import * as http from "node:http";
import * as http2 from "node:http2";
import { pino } from "pino";
import { createFastPath, FAST_PATH_CHANNEL, UNSUPPORTED_ROUTER_OPTIONS } from "./fast-path/fast-path.js";
import { CALL_LOG_MESSAGE } from "./observability/call-log.js";
import { createHelloServer, type Server } from "./server.js";
import { grpcFrame, helloRequestBytes } from "./test-support/raw-grpc.js";

interface Exchange {
  status: number;
  headers: Record<string, unknown>;
  trailers: Record<string, unknown>;
  body: string;
  neverIndexed: readonly string[];
}

interface Case {
  name: string;
  http: 1 | 2;
  method?: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

const message = (greeting: string) => grpcFrame(helloRequestBytes(greeting));
const CASES: Case[] = [
  {
    name: "gRPC unary",
    http: 2,
    path: "/hello.v1.HelloService/SayHello",
    headers: { "content-type": "application/grpc" },
    body: message("a"),
  },
  {
    name: "gRPC invalid",
    http: 2,
    path: "/hello.v1.HelloService/SayHello",
    headers: { "content-type": "application/grpc" },
    body: message(""),
  },
  {
    name: "gRPC unknown method",
    http: 2,
    path: "/hello.v1.HelloService/Nope",
    headers: { "content-type": "application/grpc" },
    body: message("a"),
  },
  {
    name: "gRPC deadline header",
    http: 2,
    path: "/hello.v1.HelloService/SayHello",
    headers: { "content-type": "application/grpc", "grpc-timeout": "5S", "x-echo-color": "blue" },
    body: message("b"),
  },
  {
    name: "gRPC server stream",
    http: 2,
    path: "/hello.v1.HelloService/LotsOfReplies",
    headers: { "content-type": "application/grpc+proto" },
    body: grpcFrame(Buffer.concat([helloRequestBytes("s"), Buffer.from([0x10, 0x03])])),
  },
  {
    name: "gRPC-Web unary",
    http: 2,
    path: "/hello.v1.HelloService/SayHello",
    headers: { "content-type": "application/grpc-web+proto" },
    body: message("w"),
  },
  {
    name: "Connect proto",
    http: 2,
    path: "/hello.v1.HelloService/SayHello",
    headers: { "content-type": "application/proto" },
    body: helloRequestBytes("p"),
  },
  {
    name: "Connect JSON",
    http: 2,
    path: "/hello.v1.HelloService/SayHello",
    headers: { "content-type": "application/json" },
    body: Buffer.from('{"greeting":"j"}'),
  },
  {
    name: "Connect JSON error",
    http: 2,
    path: "/hello.v1.HelloService/SayHello",
    headers: { "content-type": "application/json" },
    body: Buffer.from('{"greeting":""}'),
  },
  {
    name: "Connect GET",
    http: 2,
    method: "GET",
    path: "/hello.v1.HelloService/SayHello?connect=v1&encoding=json&message=%7B%22greeting%22%3A%22g%22%7D",
    headers: {},
  },
  {
    name: "Connect JSON over HTTP/1.1",
    http: 1,
    path: "/hello.v1.HelloService/SayHello",
    headers: { "content-type": "application/json" },
    body: Buffer.from('{"greeting":"h1"}'),
  },
];

/** Headers whose values differ from one response to the next whatever the server does. */
const VOLATILE = new Set(["date", "connection", "keep-alive"]);

function comparable(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(headers)
      .filter(([key]) => !VOLATILE.has(key))
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

function exchange(url: string, c: Case, requestId: string): Promise<Exchange> {
  const headers = { "x-request-id": requestId, ...c.headers };
  if (c.http === 1) {
    return new Promise((resolve, reject) => {
      const req = http.request(`${url}${c.path}`, { method: c.method ?? "POST", headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: comparable(res.headers),
            trailers: {},
            body: Buffer.concat(chunks).toString("base64"),
            neverIndexed: [],
          }),
        );
      });
      req.on("error", reject);
      req.end(c.body);
    });
  }
  return new Promise((resolve, reject) => {
    const session = http2.connect(url);
    session.on("error", reject);
    const req = session.request(
      { ":method": c.method ?? "POST", ":path": c.path, te: "trailers", ...headers },
      { endStream: c.body === undefined },
    );
    const chunks: Buffer[] = [];
    let status = 0;
    let received: Record<string, unknown> = {};
    let trailers: Record<string, unknown> = {};
    let neverIndexed: readonly string[] = [];
    req.on("response", (h) => {
      status = Number(h[":status"]);
      neverIndexed = (h as Record<symbol, readonly string[] | undefined>)[http2.sensitiveHeaders] ?? [];
      received = { ...h };
      delete received[":status"];
    });
    req.on("trailers", (t) => (trailers = { ...t }));
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("error", reject);
    req.on("end", () => {
      session.close();
      resolve({
        status,
        headers: comparable(received),
        trailers: comparable(trailers),
        body: Buffer.concat(chunks).toString("base64"),
        neverIndexed,
      });
    });
    if (c.body !== undefined) req.end(c.body);
  });
}

describe("the internals switch", () => {
  const servers: Record<"on" | "off", Server | undefined> = { on: undefined, off: undefined };
  const lines: Record<"on" | "off", Record<string, unknown>[]> = { on: [], off: [] };
  const fastPathCalls: string[] = [];
  const onFastPath = (m: unknown) => fastPathCalls.push((m as { path: string }).path);

  beforeAll(async () => {
    subscribe(FAST_PATH_CHANNEL, onFastPath);
    for (const which of ["on", "off"] as const) {
      const server = createHelloServer({
        port: 0,
        host: "127.0.0.1",
        internals: which === "on",
        logger: pino({ level: "info" }, { write: (line: string) => void lines[which].push(JSON.parse(line) as Record<string, unknown>) }),
      });
      await server.listen();
      servers[which] = server;
    }
  });
  afterAll(async () => {
    unsubscribe(FAST_PATH_CHANNEL, onFastPath);
    await Promise.all([servers.on?.close(1_000), servers.off?.close(1_000)]);
  });

  it.each(CASES.map((c) => [c.name, c] as const))("%s: the same response with the switch on and off", async (_name, c) => {
    const requestId = `internals-${c.name.replace(/\W+/g, "-")}`;
    const before = fastPathCalls.length;
    const on = await exchange(servers.on!.url, c, requestId);
    const tookFastPath = fastPathCalls.length > before;
    const off = await exchange(servers.off!.url, c, requestId);
    expect(fastPathCalls.length).toBe(before + (tookFastPath ? 1 : 0));
    expect({ status: off.status, headers: off.headers, trailers: off.trailers, body: off.body }).toEqual({
      status: on.status,
      headers: on.headers,
      trailers: on.trailers,
      body: on.body,
    });
    // How the headers went out: never-indexed request ids with the switch on, plain HPACK off.
    if (c.http === 2) {
      expect(on.neverIndexed).toContain("x-request-id");
      expect(off.neverIndexed).not.toContain("x-request-id");
    }
  });

  it("took the fast path only with the switch on, for the HTTP/2 unary and server-stream cases", () => {
    expect(fastPathCalls.length).toBeGreaterThanOrEqual(5);
  });

  it("writes the same call-log lines either way", () => {
    const calls = (which: "on" | "off") =>
      lines[which]
        .filter((l) => l["msg"] === CALL_LOG_MESSAGE)
        .map(({ time: _time, duration_ms: _duration, peer: _peer, ...rest }) => rest)
        .sort((a, b) => String(a["request_id"]).localeCompare(String(b["request_id"])));
    expect(calls("on").length).toBeGreaterThanOrEqual(CASES.length - 1);
    expect(calls("off")).toEqual(calls("on"));
  });

  it("refuses a fast path without internals", () => {
    expect(() => createHelloServer({ internals: false, fastPath: true })).toThrow(/fastPath needs internals/);
  });
});

describe("createFastPath()", () => {
  it.each(UNSUPPORTED_ROUTER_OPTIONS.map((name) => [name]))("refuses connect's router option %s, which it does not implement", (name) => {
    const value =
      name === "requireConnectProtocolHeader" ? true : name === "maxTimeoutMs" ? 1_000 : name === "requestGate" ? () => undefined : {};
    expect(() => createFastPath({ methods: new Map(), [name]: value })).toThrow(
      new RegExp(`does not implement connect's router option ${name}`),
    );
  });

  it("takes the router options it implements, and unset or false ones", () => {
    expect(() =>
      createFastPath({
        methods: new Map(),
        interceptors: [],
        readMaxBytes: 1024,
        writeMaxBytes: 1024,
        compressMinBytes: 10,
        acceptCompression: [],
        shutdownSignal: new AbortController().signal,
        requireConnectProtocolHeader: false,
        grpc: true,
        grpcWeb: false,
        connect: true,
      }),
    ).not.toThrow();
  });
});
