import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { create, fromBinary, fromJsonString, toBinary, toJsonString } from "@bufbuild/protobuf";
import { type HelloRequest, HelloRequestSchema, HelloResponseSchema } from "@hello/sdk";
import { createGreeter } from "@hello/server";
import { grpcFrame, grpcUnframe, grpcWebTrailerFrame } from "../grpc-frame.js";
import type { HttpVersion, Protocol } from "../workloads.js";
import { corsHeadersOf } from "./raw-http2.js";
import type { RunningServerVariant, ServerVariantOptions } from "./server-variant.js";

/** The HTTP/1.1 upper bound: node:http, Connect and gRPC-Web framed by hand, same greeter. */
export const label = "raw node:http (HTTP/1.1, hand-framed)";
/** What HTTP/1.1 can carry of our protocols: gRPC needs HTTP/2 trailers. */
export const protocols: readonly Protocol[] = ["connect-proto", "connect-json", "grpc-web"];
export const httpVersions: readonly HttpVersion[] = ["h1"];
/** Browser calls from the bench's origin get the same CORS response headers as from `raw-http2`. */
export const cors = true;

const SAY_HELLO = "/hello.v1.HelloService/SayHello";

/**
 * `raw-http2`'s twin for HTTP/1.1: a `node:http` handler that reads the body whole, decodes
 * it with protobuf-es, calls `createGreeter()`, encodes the reply and frames it as the
 * protocol wants (a bare message for Connect, a message frame and a trailer frame for
 * gRPC-Web), with a `content-length`. Nothing else: no deadlines, limits, compression or
 * metadata. It is what a call costs in `node:http` itself, the floor for our HTTP/1.1 path.
 */
export async function start(port: number, { host }: ServerVariantOptions): Promise<RunningServerVariant> {
  const greeter = createGreeter();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("error", () => {});
    req.on("end", () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      try {
        if (req.url !== SAY_HELLO || req.method !== "POST") {
          res.writeHead(404).end();
          return;
        }
        sayHello(res, req.headers["content-type"] ?? "", body, corsHeadersOf(req.headers.origin));
      } catch {
        if (!res.headersSent) res.writeHead(400).end();
      }
    });
  });

  function reply(req: HelloRequest) {
    return create(HelloResponseSchema, { reply: greeter.sayHello(req.greeting) });
  }

  function answer(res: http.ServerResponse, contentType: string, body: Uint8Array | string, cors: Record<string, string>) {
    res.writeHead(200, { "content-type": contentType, "content-length": Buffer.byteLength(body), ...cors });
    res.end(body);
  }

  function sayHello(res: http.ServerResponse, contentType: string, body: Buffer, cors: Record<string, string>) {
    switch (contentType) {
      case "application/grpc-web+proto": {
        const message = fromBinary(HelloRequestSchema, grpcUnframe(body)![0]!.data);
        const frames = Buffer.concat([
          grpcFrame(toBinary(HelloResponseSchema, reply(message))),
          grpcWebTrailerFrame({ "grpc-status": "0", "x-reply-count": "1" }),
        ]);
        answer(res, "application/grpc-web+proto", frames, cors);
        return;
      }
      case "application/proto":
        answer(res, "application/proto", toBinary(HelloResponseSchema, reply(fromBinary(HelloRequestSchema, body))), cors);
        return;
      case "application/json":
        answer(
          res,
          "application/json",
          toJsonString(HelloResponseSchema, reply(fromJsonString(HelloRequestSchema, body.toString("utf8")))),
          cors,
        );
        return;
      default:
        res.writeHead(415).end();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
