import { create, toBinary, toJsonString } from "@bufbuild/protobuf";
import { HelloRequestSchema, HelloResponseSchema } from "@hello/sdk";
import { grpcFrame } from "./grpc-frame.js";

/** The wire protocols a variant may speak. Every workload uses exactly one. */
export type Protocol = "grpc" | "grpc-web" | "connect-proto" | "connect-json";

/** Every protocol, in the order reports list them. */
export const ALL_PROTOCOLS: readonly Protocol[] = ["grpc", "connect-proto", "connect-json", "grpc-web"];

/** What a correct answer to a workload's request looks like, byte for byte. */
export interface ExpectedAnswer {
  /** The response `content-type`s that are correct (gRPC allows a `+proto` suffix or none). */
  contentTypes: readonly string[];
  /**
   * Exact body bytes. For gRPC-Web, the message frames only: the trailer frame that follows
   * them is parsed and must say `grpc-status: 0`.
   */
  body: Buffer;
  /** Where the gRPC status travels: HTTP/2 trailers, a gRPC-Web trailer frame, or nowhere (Connect). */
  grpcStatusIn: "trailers" | "body" | "none";
}

/** One load pattern: a request, sent over and over by h2load, and what it must get back. */
export interface Workload {
  /** Stable id, used in results and on the command line, e.g. "grpc-unary-c10". */
  id: string;
  /** Human-readable name for reports. */
  label: string;
  protocol: Protocol;
  kind: "unary" | "server-stream";
  /** h2load `-c`: concurrent connections. */
  clients: number;
  /** h2load `-m`: concurrent streams per connection. */
  streamsPerClient: number;
  /** Request path, e.g. "/hello.v1.HelloService/SayHello". */
  path: string;
  /** Request headers besides the pseudo-headers (h2load sends POST with `-d`). */
  headers: Record<string, string>;
  /** The request body, exactly as sent. */
  body: Buffer;
  expected: ExpectedAnswer;
  /** Response messages per call: 1 for unary, the reply count for streams. */
  messagesPerCall: number;
}

/** The greeting every benchmark request sends. */
export const GREETING = "bench";
/** Replies asked of LotsOfReplies in the streaming workload. */
export const STREAM_REPLY_COUNT = 1000;

const GRPC_CONTENT_TYPES = ["application/grpc", "application/grpc+proto"];
const SAY_HELLO = "/hello.v1.HelloService/SayHello";
const LOTS_OF_REPLIES = "/hello.v1.HelloService/LotsOfReplies";

const sayHelloRequest = toBinary(HelloRequestSchema, create(HelloRequestSchema, { greeting: GREETING }));
// The reply the README promises for SayHello, spelled out here rather than computed by the
// greeter under test.
const sayHelloResponse = create(HelloResponseSchema, { reply: `Hello, ${GREETING}!` });
const sayHelloResponseBytes = toBinary(HelloResponseSchema, sayHelloResponse);

interface UnaryShape {
  protocol: Protocol;
  label: string;
  headers: Record<string, string>;
  body: Buffer;
  expected: ExpectedAnswer;
}

const UNARY: readonly UnaryShape[] = [
  {
    protocol: "grpc",
    label: "gRPC unary",
    headers: { "content-type": "application/grpc", te: "trailers" },
    body: grpcFrame(sayHelloRequest),
    expected: { contentTypes: GRPC_CONTENT_TYPES, body: grpcFrame(sayHelloResponseBytes), grpcStatusIn: "trailers" },
  },
  {
    protocol: "connect-proto",
    label: "Connect unary (binary)",
    headers: { "content-type": "application/proto", "connect-protocol-version": "1" },
    body: Buffer.from(sayHelloRequest),
    expected: { contentTypes: ["application/proto"], body: Buffer.from(sayHelloResponseBytes), grpcStatusIn: "none" },
  },
  {
    protocol: "connect-json",
    label: "Connect unary (JSON)",
    headers: { "content-type": "application/json", "connect-protocol-version": "1" },
    body: Buffer.from(toJsonString(HelloRequestSchema, create(HelloRequestSchema, { greeting: GREETING }))),
    expected: {
      contentTypes: ["application/json"],
      body: Buffer.from(toJsonString(HelloResponseSchema, sayHelloResponse)),
      grpcStatusIn: "none",
    },
  },
  {
    protocol: "grpc-web",
    label: "gRPC-Web unary (h2c)",
    headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
    body: grpcFrame(sayHelloRequest),
    expected: { contentTypes: ["application/grpc-web+proto"], body: grpcFrame(sayHelloResponseBytes), grpcStatusIn: "body" },
  },
];

/** The two load levels of every unary workload: one call at a time, and 10 × 10 in flight. */
const LEVELS = [
  { clients: 1, streamsPerClient: 1 },
  { clients: 10, streamsPerClient: 10 },
] as const;

function expectedStreamBody(replies: number): Buffer {
  const frames: Buffer[] = [];
  for (let i = 1; i <= replies; i++) {
    const reply = create(HelloResponseSchema, { reply: `Hello, ${GREETING}! (reply ${i} of ${replies})` });
    frames.push(grpcFrame(toBinary(HelloResponseSchema, reply)));
  }
  return Buffer.concat(frames);
}

/** Options of {@link createWorkloads}. */
export interface WorkloadOptions {
  /**
   * Replies per LotsOfReplies call. Default {@link STREAM_REPLY_COUNT}; `--smoke` asks for
   * fewer, so that a whole stream fits in its one-second run even on a machine busy with
   * the rest of CI (a timed run in which no stream ended is void).
   */
  streamReplies?: number;
}

/**
 * Every workload: SayHello over each protocol at `-c 1 -m 1` and `-c 10 -m 10`, then
 * LotsOfReplies (1,000 replies, no interval) over gRPC with 10 connections of one stream.
 */
export function createWorkloads(options: WorkloadOptions = {}): Workload[] {
  const streamReplies = options.streamReplies ?? STREAM_REPLY_COUNT;
  const workloads: Workload[] = [];
  for (const shape of UNARY) {
    for (const level of LEVELS) {
      workloads.push({
        id: `${shape.protocol}-unary-c${level.clients}`,
        label: `${shape.label} -c${level.clients} -m${level.streamsPerClient}`,
        protocol: shape.protocol,
        kind: "unary",
        ...level,
        path: SAY_HELLO,
        headers: shape.headers,
        body: shape.body,
        expected: shape.expected,
        messagesPerCall: 1,
      });
    }
  }
  workloads.push({
    id: "grpc-stream-c10",
    label: `gRPC server stream (${streamReplies} replies) -c10 -m1`,
    protocol: "grpc",
    kind: "server-stream",
    clients: 10,
    streamsPerClient: 1,
    path: LOTS_OF_REPLIES,
    headers: { "content-type": "application/grpc", te: "trailers" },
    body: grpcFrame(toBinary(HelloRequestSchema, create(HelloRequestSchema, { greeting: GREETING, replyCount: streamReplies }))),
    expected: { contentTypes: GRPC_CONTENT_TYPES, body: expectedStreamBody(streamReplies), grpcStatusIn: "trailers" },
    messagesPerCall: streamReplies,
  });
  return workloads;
}
