import * as http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { HelloRequestSchema, HelloResponseSchema } from "@hello/sdk";
import type { OpenStreamShape } from "./clients/client-driver.js";
import { grpcFrame } from "./grpc-frame.js";
import { GREETING } from "./workloads.js";

/** Streams opened per HTTP/2 connection: below every server's stream limit (Node's default is unlimited, ours 1,000). */
export const STREAMS_PER_CONNECTION = 100;

const GRPC_HEADERS = { ":method": "POST", "content-type": "application/grpc", te: "trailers" };

/** The request that opens a stream of `shape`, and the first reply frame that proves it open. */
export function openingExchange(shape: OpenStreamShape): { path: string; request: Buffer; firstReply: Buffer } {
  if (shape === "bidi") {
    return {
      path: "/hello.v1.HelloService/BidiHello",
      request: grpcFrame(toBinary(HelloRequestSchema, create(HelloRequestSchema, { greeting: GREETING }))),
      firstReply: grpcFrame(toBinary(HelloResponseSchema, create(HelloResponseSchema, { reply: `Hello, ${GREETING}!` }))),
    };
  }
  // Two replies 10 s apart: the stream stays open, idle, after the first.
  const request = create(HelloRequestSchema, { greeting: GREETING, replyCount: 2, replyInterval: { seconds: 10n } });
  return {
    path: "/hello.v1.HelloService/LotsOfReplies",
    request: grpcFrame(toBinary(HelloRequestSchema, request)),
    firstReply: grpcFrame(toBinary(HelloResponseSchema, create(HelloResponseSchema, { reply: `Hello, ${GREETING}! (reply 1 of 2)` }))),
  };
}

/** Streams held open on a server; `close` resets them and closes their connections. */
export interface OpenStreams {
  /** Streams whose first reply arrived, byte for byte as expected. */
  opened: number;
  /** What went wrong with the others (at most a few, for the report). */
  problems: string[];
  close(): void;
}

/**
 * Opens `count` gRPC streams of `shape` on the server at `baseUrl` with `node:http2`
 * ({@link STREAMS_PER_CONNECTION} per connection) and waits until each has its first reply
 * (or `timeoutMs` has passed): BidiHello with one greeting sent and the request side left
 * open, or LotsOfReplies paused 10 s before its second reply. The server then holds
 * `count` open calls and nothing else is in flight.
 */
export async function openServerStreams(baseUrl: string, shape: OpenStreamShape, count: number, timeoutMs = 30_000): Promise<OpenStreams> {
  const { path, request, firstReply } = openingExchange(shape);
  const sessions: http2.ClientHttp2Session[] = [];
  const problems: string[] = [];
  let opened = 0;
  const close = () => {
    for (const session of sessions) session.destroy();
  };
  const waits: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    if (i % STREAMS_PER_CONNECTION === 0) {
      const session = http2.connect(baseUrl);
      session.on("error", (error) => problems.push(`connection: ${error.message}`));
      sessions.push(session);
    }
    const session = sessions.at(-1)!;
    waits.push(
      new Promise<void>((resolve) => {
        const stream = session.request({ ":path": path, ...GRPC_HEADERS });
        let received = Buffer.alloc(0);
        const done = (problem?: string) => {
          stream.removeAllListeners("data");
          if (problem) problems.push(problem);
          else opened++;
          resolve();
        };
        stream.on("error", (error) => done(`stream: ${error.message}`));
        stream.on("data", (chunk: Buffer) => {
          received = Buffer.concat([received, chunk]);
          if (received.length < firstReply.length) return;
          done(received.subarray(0, firstReply.length).equals(firstReply) ? undefined : "first reply differs");
        });
        stream.on("end", () => done("stream ended before its first reply"));
        if (shape === "bidi") stream.write(request);
        else stream.end(request);
      }),
    );
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      problems.push(`only ${opened} of ${count} streams had their first reply after ${timeoutMs} ms`);
      resolve();
    }, timeoutMs);
  });
  await Promise.race([Promise.all(waits), timedOut]);
  clearTimeout(timer);
  return { opened, problems: problems.slice(0, 5), close };
}
