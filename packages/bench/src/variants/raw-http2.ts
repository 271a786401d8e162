import { once } from "node:events";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create, fromBinary, fromJsonString, toBinary, toJsonString } from "@bufbuild/protobuf";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { type HelloRequest, HelloRequestSchema, HelloResponseSchema } from "@hello/sdk";
import { createGreeter } from "@hello/server";
import { grpcFrame, grpcUnframe, grpcWebTrailerFrame, takeFrames } from "../grpc-frame.js";
import { ALL_PROTOCOLS, BENCH_ORIGIN } from "../workloads.js";
import type { RunningServerVariant, ServerVariantOptions } from "./server-variant.js";

/** The upper bound: node:http2's core API, every protocol framed by hand, same greeter. */
export const label = "raw node:http2 (hand-framed)";

const SAY_HELLO = "/hello.v1.HelloService/SayHello";
const LOTS_OF_REPLIES = "/hello.v1.HelloService/LotsOfReplies";
const LOTS_OF_GREETINGS = "/hello.v1.HelloService/LotsOfGreetings";
const BIDI_HELLO = "/hello.v1.HelloService/BidiHello";

/** Every protocol, over HTTP/2 only (`raw-http1` is the HTTP/1.1 bound). */
export const protocols = ALL_PROTOCOLS;
/** Browser calls from the bench's origin get the CORS response headers our server sends. */
export const cors = true;

/** The CORS response headers of a call from `origin` (only the bench's origin is allowed). */
export function corsHeadersOf(origin: string | undefined): Record<string, string> {
  if (origin !== BENCH_ORIGIN) return {};
  return {
    "access-control-allow-origin": origin,
    vary: "origin",
    "access-control-expose-headers":
      "grpc-status, grpc-message, grpc-status-details-bin, x-request-id, x-reply-count, trailer-x-reply-count",
  };
}

/**
 * A deliberately minimal server: the stream API (no compatibility layer), the body read
 * whole, the message decoded and encoded with protobuf-es, `createGreeter()` in between.
 * No deadlines, limits, compression, metadata or error details: it is what a call costs
 * in `node:http2` itself, the floor any framework on Node adds to.
 */
export async function start(port: number, { host }: ServerVariantOptions): Promise<RunningServerVariant> {
  const greeter = createGreeter();
  const server = http2.createServer();

  server.on("stream", (stream, headers) => {
    const path = headers[":path"];
    const contentType = headers["content-type"] ?? "";
    if (path === BIDI_HELLO && contentType.startsWith("application/grpc")) {
      bidiHello(stream);
      return;
    }
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", () => {});
    stream.on("end", () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      try {
        if (path === SAY_HELLO) {
          sayHello(stream, contentType, body, corsHeadersOf(headers.origin));
        } else if (path === LOTS_OF_GREETINGS && contentType.startsWith("application/grpc")) {
          void lotsOfGreetings(stream, body);
        } else if (path === LOTS_OF_REPLIES && contentType.startsWith("application/grpc")) {
          void lotsOfReplies(stream, body);
        } else {
          stream.respond({ ":status": 404 }, { endStream: true });
        }
      } catch {
        if (!stream.headersSent) stream.respond({ ":status": 400 }, { endStream: true });
      }
    });
  });

  function reply(req: HelloRequest) {
    return create(HelloResponseSchema, { reply: greeter.sayHello(req.greeting) });
  }

  function sayHello(stream: http2.ServerHttp2Stream, contentType: string, body: Buffer, cors: Record<string, string>) {
    switch (contentType) {
      case "application/grpc":
      case "application/grpc+proto": {
        const message = fromBinary(HelloRequestSchema, grpcUnframe(body)![0]!.data);
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0", "x-reply-count": "1" }));
        stream.end(grpcFrame(toBinary(HelloResponseSchema, reply(message))));
        return;
      }
      case "application/grpc-web+proto": {
        const message = fromBinary(HelloRequestSchema, grpcUnframe(body)![0]!.data);
        stream.respond({ ":status": 200, "content-type": "application/grpc-web+proto", ...cors });
        endWith(
          stream,
          Buffer.concat([
            grpcFrame(toBinary(HelloResponseSchema, reply(message))),
            grpcWebTrailerFrame({ "grpc-status": "0", "x-reply-count": "1" }),
          ]),
        );
        return;
      }
      case "application/proto": {
        const message = fromBinary(HelloRequestSchema, body);
        stream.respond({ ":status": 200, "content-type": "application/proto", ...cors });
        endWith(stream, toBinary(HelloResponseSchema, reply(message)));
        return;
      }
      case "application/json": {
        const message = fromJsonString(HelloRequestSchema, body.toString("utf8"));
        stream.respond({ ":status": 200, "content-type": "application/json", ...cors });
        endWith(stream, toJsonString(HelloResponseSchema, reply(message)));
        return;
      }
      default:
        stream.respond({ ":status": 415 }, { endStream: true });
    }
  }

  /**
   * The body, then the end of the stream once it is written: as @hello/server's fast path
   * does (`respondWithBody`), because `end(body)` makes Node build an ERR_STREAM_DESTROYED
   * per stream (~27 % of this server's CPU). The upper bound uses the best known way.
   */
  function endWith(stream: http2.ServerHttp2Stream, body: Uint8Array | string) {
    stream.write(body, () => {
      if (!stream.destroyed) stream.end();
    });
  }

  async function lotsOfReplies(stream: http2.ServerHttp2Stream, body: Buffer) {
    const { greeting, replyCount, replyInterval } = fromBinary(HelloRequestSchema, grpcUnframe(body)![0]!.data);
    const abort = new AbortController();
    stream.once("close", () => abort.abort());
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    let count = 0;
    try {
      const plan = { greeting, count: replyCount, intervalMs: replyInterval ? durationMs(replyInterval) : 0 };
      for await (const text of greeter.lotsOfReplies(plan, { signal: abort.signal, timeoutMs: () => undefined })) {
        count++;
        if (!stream.write(grpcFrame(toBinary(HelloResponseSchema, create(HelloResponseSchema, { reply: text }))))) {
          await once(stream, "drain", { signal: abort.signal });
        }
      }
      stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0", "x-reply-count": String(count) }));
      stream.end();
    } catch {
      if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_CANCEL);
    }
  }

  /** Every greeting of the body, one reply: the greeter's `lotsOfGreetings` over the decoded messages. */
  async function lotsOfGreetings(stream: http2.ServerHttp2Stream, body: Buffer) {
    const greetings = grpcUnframe(body)!.map((frame) => fromBinary(HelloRequestSchema, frame.data).greeting);
    const abort = new AbortController();
    const text = await greeter.lotsOfGreetings(asAsync(greetings), { signal: abort.signal, timeoutMs: () => undefined });
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0", "x-reply-count": "1" }));
    stream.end(grpcFrame(toBinary(HelloResponseSchema, create(HelloResponseSchema, { reply: text }))));
  }

  /**
   * A reply to every request message as soon as it has arrived (ping-pong works), the
   * trailers once the client has ended its side: the greeter's `bidiHello` is the same
   * function per message (`Hello, <greeting>!`), called here without its async iteration.
   */
  function bidiHello(stream: http2.ServerHttp2Stream) {
    let pending: Buffer = Buffer.alloc(0);
    let count = 0;
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.on("error", () => {});
    stream.on("data", (chunk: Buffer) => {
      const { frames, rest } = takeFrames(pending.length === 0 ? chunk : Buffer.concat([pending, chunk]));
      pending = rest;
      if (frames.length === 0) return;
      const replies = frames.map((frame) => grpcFrame(toBinary(HelloResponseSchema, reply(fromBinary(HelloRequestSchema, frame.data)))));
      count += frames.length;
      stream.write(replies.length === 1 ? replies[0]! : Buffer.concat(replies));
    });
    stream.on("end", () => {
      if (stream.destroyed) return;
      stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0", "x-reply-count": String(count) }));
      stream.end();
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function* asAsync<T>(items: readonly T[]): AsyncIterable<T> {
  yield* items;
}
