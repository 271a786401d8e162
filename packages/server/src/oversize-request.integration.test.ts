/**
 * A request message over the limit, sent by a client that uploads slowly and never
 * finishes: the call must end promptly with RESOURCE_EXHAUSTED on every protocol and HTTP
 * version, fast path on and off, and the server must go on serving. On HTTP/2 the stream
 * ends with RST_STREAM(NO_ERROR) after the trailers, so the client stops sending.
 */
import * as http from "node:http";
import * as http2 from "node:http2";
import { createHelloServer, type Server } from "./server.js";

const LIMIT = 64 * 1024;
/** What the envelope header promises: more than the limit. */
const PROMISED = LIMIT + 1;
/** Long enough for a slow machine, far shorter than any client's own timeout. */
const BOUND_MS = 8_000;

function envelopeHeader(length: number): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(length, 1);
  return header;
}

interface Outcome {
  status: string | undefined;
  message: string | undefined;
  rstCode?: number;
  elapsedMs: number;
}

/** Sends the envelope header and then 1 KiB every 100 ms, never ending the request. */
function slowUploadHttp2(url: string, contentType: string): Promise<Outcome> {
  const started = Date.now();
  const client = http2.connect(url);
  client.on("error", () => undefined);
  return new Promise((resolve, reject) => {
    const req = client.request({
      ":method": "POST",
      ":path": "/hello.v1.HelloService/SayHello",
      "content-type": contentType,
      te: "trailers",
    });
    let headers: http2.IncomingHttpHeaders = {};
    let body = Buffer.alloc(0);
    req.on("response", (h) => (headers = { ...h }));
    req.on("trailers", (t) => (headers = { ...headers, ...t }));
    req.on("data", (chunk: Buffer) => (body = Buffer.concat([body, chunk])));
    req.on("error", () => undefined);
    req.write(envelopeHeader(PROMISED));
    const ticker = setInterval(() => {
      if (!req.destroyed && !req.closed) req.write(Buffer.alloc(1024));
    }, 100);
    const timer = setTimeout(() => {
      clearInterval(ticker);
      client.destroy();
      reject(new Error(`no end after ${BOUND_MS} ms; headers so far: ${JSON.stringify(headers)}`));
    }, BOUND_MS);
    req.on("close", () => {
      clearInterval(ticker);
      clearTimeout(timer);
      client.close();
      const web = grpcWebTrailers(body);
      resolve({
        status: (headers["grpc-status"] as string | undefined) ?? web["grpc-status"],
        message: decodeURIComponent((headers["grpc-message"] as string | undefined) ?? web["grpc-message"] ?? ""),
        rstCode: req.rstCode,
        elapsedMs: Date.now() - started,
      });
    });
  });
}

function slowUploadHttp1(url: string): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const agent = new http.Agent({ keepAlive: false });
    const req = http.request(`${url}/hello.v1.HelloService/SayHello`, {
      method: "POST",
      agent,
      headers: { "content-type": "application/grpc-web+proto" },
    });
    const ticker = setInterval(() => {
      if (!req.destroyed) req.write(Buffer.alloc(1024));
    }, 100);
    const timer = setTimeout(() => {
      clearInterval(ticker);
      req.destroy();
      reject(new Error(`no response after ${BOUND_MS} ms`));
    }, BOUND_MS);
    req.on("error", () => undefined);
    req.on("response", (res) => {
      let body = Buffer.alloc(0);
      res.on("data", (chunk: Buffer) => (body = Buffer.concat([body, chunk])));
      res.on("end", () => {
        clearInterval(ticker);
        clearTimeout(timer);
        req.destroy();
        const web = grpcWebTrailers(body);
        resolve({
          status: web["grpc-status"],
          message: decodeURIComponent(web["grpc-message"] ?? ""),
          elapsedMs: Date.now() - started,
        });
      });
    });
    req.write(envelopeHeader(PROMISED));
  });
}

/** The trailers of a gRPC-Web body: the envelope flagged 0x80, as "key: value" lines. */
function grpcWebTrailers(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (let at = 0; at + 5 <= body.length; ) {
    const length = body.readUInt32BE(at + 1);
    if ((body[at]! & 0x80) === 0x80) {
      for (const line of body
        .subarray(at + 5, at + 5 + length)
        .toString()
        .split("\r\n")) {
        const colon = line.indexOf(":");
        if (colon > 0) out[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
    }
    at += 5 + length;
  }
  return out;
}

describe.each([true, false])("a request over the limit from a slow uploader that never finishes (fast path %s)", (fastPath) => {
  let server: Server;
  beforeAll(async () => {
    server = createHelloServer({ port: 0, host: "127.0.0.1", readMaxBytes: LIMIT, fastPath });
    await server.listen();
  });
  afterAll(() => server.close(1_000));

  it.each([
    ["gRPC over HTTP/2", "application/grpc+proto"],
    ["gRPC-Web over HTTP/2", "application/grpc-web+proto"],
  ])("%s: RESOURCE_EXHAUSTED, then RST_STREAM(NO_ERROR)", async (_name, contentType) => {
    const outcome = await slowUploadHttp2(server.url, contentType);
    expect(outcome.status).toBe("8");
    expect(outcome.message).toContain(`larger than configured readMaxBytes ${LIMIT}`);
    expect(outcome.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
  });

  it("gRPC-Web over HTTP/1.1: RESOURCE_EXHAUSTED while the client is still sending", async () => {
    const outcome = await slowUploadHttp1(server.url);
    expect(outcome.status).toBe("8");
    expect(outcome.message).toContain(`larger than configured readMaxBytes ${LIMIT}`);
  });

  it("goes on serving", async () => {
    const client = http2.connect(server.url);
    try {
      const status = await new Promise<string | undefined>((resolve) => {
        const req = client.request({
          ":method": "POST",
          ":path": "/hello.v1.HelloService/SayHello",
          "content-type": "application/grpc+proto",
          te: "trailers",
        });
        req.on("trailers", (t) => resolve(t["grpc-status"] as string | undefined));
        req.on("error", () => resolve(undefined));
        req.resume();
        // HelloRequest{greeting: "hi"}
        const message = Buffer.from([0x0a, 0x02, 0x68, 0x69]);
        req.end(Buffer.concat([envelopeHeader(message.length), message]));
      });
      expect(status).toBe("0");
    } finally {
      client.close();
    }
  });
});
