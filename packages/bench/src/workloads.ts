import { create, toBinary, toJsonString } from "@bufbuild/protobuf";
import { HelloRequestSchema, HelloResponseSchema } from "@hello/sdk";
import { grpcFrame } from "./grpc-frame.js";

/** The wire protocols a variant may speak. Every workload uses exactly one. */
export type Protocol = "grpc" | "grpc-web" | "connect-proto" | "connect-json";

/** Every protocol, in the order reports list them. */
export const ALL_PROTOCOLS: readonly Protocol[] = ["grpc", "connect-proto", "connect-json", "grpc-web"];

/** The HTTP version a workload speaks: HTTP/2 with prior knowledge (h2c) or HTTP/1.1. */
export type HttpVersion = "h2" | "h1";

/** Both HTTP versions; a variant that does not say which it serves is taken to serve HTTP/2 only. */
export const ALL_HTTP_VERSIONS: readonly HttpVersion[] = ["h2", "h1"];

/**
 * An origin the browser-style workloads send, as a Vite dev server's page would (port 5173).
 * The shipped server is started with it in `CORS_ORIGINS`, as a deployment that serves
 * browsers lists its pages' origins.
 */
export const BENCH_ORIGIN = "http://localhost:5173";

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
  /** Response headers that must be present with exactly these values (the CORS answer of a browser-style call). */
  headers?: Record<string, string>;
}

/** One load pattern: a request, sent over and over by h2load, and what it must get back. */
export interface Workload {
  /** Stable id, used in results and on the command line, e.g. "grpc-unary-c10". */
  id: string;
  /** Human-readable name for reports. */
  label: string;
  protocol: Protocol;
  kind: WorkloadKind;
  /** HTTP/2 (h2c, prior knowledge) or HTTP/1.1 (h2load `--h1`: one call at a time per connection). */
  httpVersion: HttpVersion;
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
  /**
   * Messages per call that msgs/s counts: 1 for unary, the replies of a server stream, the
   * requests of a client stream, the requests of a bidi call (each answered with one reply).
   */
  messagesPerCall: number;
}

/** The RPC shape a workload drives. */
export type WorkloadKind = "unary" | "server-stream" | "client-stream" | "bidi";

/** What a variant serves, as far as choosing its workloads goes. */
export interface VariantAbilities {
  protocols: readonly Protocol[];
  httpVersions: readonly HttpVersion[];
  /** It answers browser calls (CORS) from {@link BENCH_ORIGIN}. */
  cors: boolean;
}

/** Whether a variant serves a workload: its protocol, over its HTTP version, and CORS when the workload comes from a browser. */
export function servesWorkload(variant: VariantAbilities, workload: Workload): boolean {
  return (
    variant.protocols.includes(workload.protocol) &&
    variant.httpVersions.includes(workload.httpVersion) &&
    (workload.headers.origin === undefined || variant.cors)
  );
}

/** The greeting every benchmark request sends. */
export const GREETING = "bench";
/** Replies asked of LotsOfReplies in the streaming workload. */
export const STREAM_REPLY_COUNT = 1000;
/** Requests per call of the long client-stream and bidi workloads. */
export const LONG_STREAM_MESSAGES = 1000;
/** Requests per call of the short client-stream workload (a few greetings, one reply). */
export const SHORT_CLIENT_STREAM_MESSAGES = 3;

const GRPC_CONTENT_TYPES = ["application/grpc", "application/grpc+proto"];
const SAY_HELLO = "/hello.v1.HelloService/SayHello";
const LOTS_OF_REPLIES = "/hello.v1.HelloService/LotsOfReplies";
const LOTS_OF_GREETINGS = "/hello.v1.HelloService/LotsOfGreetings";
const BIDI_HELLO = "/hello.v1.HelloService/BidiHello";
const GRPC_HEADERS = { "content-type": "application/grpc", te: "trailers" };

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

const GRPC_UNARY: UnaryShape = {
  protocol: "grpc",
  label: "gRPC unary",
  headers: GRPC_HEADERS,
  body: grpcFrame(sayHelloRequest),
  expected: { contentTypes: GRPC_CONTENT_TYPES, body: grpcFrame(sayHelloResponseBytes), grpcStatusIn: "trailers" },
};
const CONNECT_PROTO_UNARY: UnaryShape = {
  protocol: "connect-proto",
  label: "Connect unary (binary)",
  headers: { "content-type": "application/proto", "connect-protocol-version": "1" },
  body: Buffer.from(sayHelloRequest),
  expected: { contentTypes: ["application/proto"], body: Buffer.from(sayHelloResponseBytes), grpcStatusIn: "none" },
};
const CONNECT_JSON_UNARY: UnaryShape = {
  protocol: "connect-json",
  label: "Connect unary (JSON)",
  headers: { "content-type": "application/json", "connect-protocol-version": "1" },
  body: Buffer.from(toJsonString(HelloRequestSchema, create(HelloRequestSchema, { greeting: GREETING }))),
  expected: {
    contentTypes: ["application/json"],
    body: Buffer.from(toJsonString(HelloResponseSchema, sayHelloResponse)),
    grpcStatusIn: "none",
  },
};
const GRPC_WEB_UNARY: UnaryShape = {
  protocol: "grpc-web",
  label: "gRPC-Web unary",
  headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
  body: grpcFrame(sayHelloRequest),
  expected: { contentTypes: ["application/grpc-web+proto"], body: grpcFrame(sayHelloResponseBytes), grpcStatusIn: "body" },
};

const UNARY: readonly UnaryShape[] = [
  GRPC_UNARY,
  CONNECT_PROTO_UNARY,
  CONNECT_JSON_UNARY,
  { ...GRPC_WEB_UNARY, label: "gRPC-Web unary (h2c)" },
];

/** The two load levels of every unary workload: one call at a time, and 10 × 10 in flight. */
const LEVELS = [
  { clients: 1, streamsPerClient: 1 },
  { clients: 10, streamsPerClient: 10 },
] as const;

/** 10 connections of one call each: HTTP/1.1 (no multiplexing) and the long streams. */
const TEN_CONNECTIONS = { clients: 10, streamsPerClient: 1 } as const;

function expectedStreamBody(replies: number): Buffer {
  const frames: Buffer[] = [];
  for (let i = 1; i <= replies; i++) {
    const reply = create(HelloResponseSchema, { reply: `Hello, ${GREETING}! (reply ${i} of ${replies})` });
    frames.push(grpcFrame(toBinary(HelloResponseSchema, reply)));
  }
  return Buffer.concat(frames);
}

/** `count` request envelopes of the benchmark greeting, one body: what a client stream sends. */
function greetingEnvelopes(count: number): Buffer {
  return Buffer.concat(Array.from({ length: count }, () => grpcFrame(sayHelloRequest)));
}

/** LotsOfGreetings' one reply to `count` greetings: every greeting, in order. */
function expectedGreetingsBody(count: number): Buffer {
  const reply = create(HelloResponseSchema, { reply: `Hello, ${Array.from({ length: count }, () => GREETING).join(", ")}!` });
  return grpcFrame(toBinary(HelloResponseSchema, reply));
}

/** Options of {@link createWorkloads}. */
export interface WorkloadOptions {
  /**
   * Replies per LotsOfReplies call. Default {@link STREAM_REPLY_COUNT}; `--smoke` asks for
   * fewer, so that a whole stream fits in its one-second run even on a machine busy with
   * the rest of CI (a timed run in which no stream ended is void).
   */
  streamReplies?: number;
  /** Requests per call of the long client-stream and bidi workloads. Default {@link LONG_STREAM_MESSAGES}; `--smoke` sends fewer. */
  longStreamMessages?: number;
}

/**
 * Every workload: SayHello over each protocol at `-c 1 -m 1` and `-c 10 -m 10` (HTTP/2),
 * LotsOfReplies (1,000 replies, no interval) over gRPC with 10 connections of one stream;
 * Connect (binary, JSON) and gRPC-Web unary over HTTP/1.1 at `-c 10`; Connect JSON unary
 * from a browser (an `Origin` the server allows) over HTTP/1.1 and HTTP/2; LotsOfGreetings
 * (client stream) and BidiHello, short calls at `-c 10 -m 10` and 1,000-message calls at
 * `-c 10 -m 1`.
 */
export function createWorkloads(options: WorkloadOptions = {}): Workload[] {
  const streamReplies = options.streamReplies ?? STREAM_REPLY_COUNT;
  const longMessages = options.longStreamMessages ?? LONG_STREAM_MESSAGES;
  const workloads: Workload[] = [];
  const unary = (
    shape: UnaryShape,
    httpVersion: HttpVersion,
    level: { clients: number; streamsPerClient: number },
    id: string,
    label: string,
  ) =>
    workloads.push({
      id,
      label,
      protocol: shape.protocol,
      kind: "unary",
      httpVersion,
      ...level,
      path: SAY_HELLO,
      headers: shape.headers,
      body: shape.body,
      expected: shape.expected,
      messagesPerCall: 1,
    });
  for (const shape of UNARY) {
    for (const level of LEVELS) {
      unary(
        shape,
        "h2",
        level,
        `${shape.protocol}-unary-c${level.clients}`,
        `${shape.label} -c${level.clients} -m${level.streamsPerClient}`,
      );
    }
  }
  workloads.push({
    id: "grpc-stream-c10",
    label: `gRPC server stream (${streamReplies} replies) -c10 -m1`,
    protocol: "grpc",
    kind: "server-stream",
    httpVersion: "h2",
    clients: 10,
    streamsPerClient: 1,
    path: LOTS_OF_REPLIES,
    headers: GRPC_HEADERS,
    body: grpcFrame(toBinary(HelloRequestSchema, create(HelloRequestSchema, { greeting: GREETING, replyCount: streamReplies }))),
    expected: { contentTypes: GRPC_CONTENT_TYPES, body: expectedStreamBody(streamReplies), grpcStatusIn: "trailers" },
    messagesPerCall: streamReplies,
  });
  for (const shape of [CONNECT_PROTO_UNARY, CONNECT_JSON_UNARY, GRPC_WEB_UNARY]) {
    unary(shape, "h1", TEN_CONNECTIONS, `${shape.protocol}-unary-h1`, `${shape.label} HTTP/1.1 -c10`);
  }
  const browser: UnaryShape = {
    ...CONNECT_JSON_UNARY,
    headers: { ...CONNECT_JSON_UNARY.headers, origin: BENCH_ORIGIN },
    expected: { ...CONNECT_JSON_UNARY.expected, headers: { "access-control-allow-origin": BENCH_ORIGIN } },
  };
  unary(browser, "h1", TEN_CONNECTIONS, "connect-json-unary-h1-cors", "Connect unary (JSON) from a browser origin, HTTP/1.1 -c10");
  unary(browser, "h2", LEVELS[1], "connect-json-unary-c10-cors", "Connect unary (JSON) from a browser origin -c10 -m10");
  const grpcStream = (
    id: string,
    label: string,
    kind: WorkloadKind,
    path: string,
    messages: number,
    expected: Buffer,
    level: { clients: number; streamsPerClient: number },
  ) =>
    workloads.push({
      id,
      label,
      protocol: "grpc",
      kind,
      httpVersion: "h2",
      ...level,
      path,
      headers: GRPC_HEADERS,
      body: greetingEnvelopes(messages),
      expected: { contentTypes: GRPC_CONTENT_TYPES, body: expected, grpcStatusIn: "trailers" },
      messagesPerCall: messages,
    });
  const short = SHORT_CLIENT_STREAM_MESSAGES;
  grpcStream(
    "grpc-client-stream-c10",
    `gRPC client stream (${short} requests) -c10 -m10`,
    "client-stream",
    LOTS_OF_GREETINGS,
    short,
    expectedGreetingsBody(short),
    LEVELS[1],
  );
  grpcStream(
    "grpc-client-stream-long",
    `gRPC client stream (${longMessages} requests) -c10 -m1`,
    "client-stream",
    LOTS_OF_GREETINGS,
    longMessages,
    expectedGreetingsBody(longMessages),
    TEN_CONNECTIONS,
  );
  grpcStream(
    "grpc-bidi-c10",
    "gRPC bidi (1 request, 1 reply) -c10 -m10",
    "bidi",
    BIDI_HELLO,
    1,
    grpcFrame(sayHelloResponseBytes),
    LEVELS[1],
  );
  grpcStream(
    "grpc-bidi-long",
    `gRPC bidi (${longMessages} requests and replies) -c10 -m1`,
    "bidi",
    BIDI_HELLO,
    longMessages,
    Buffer.concat(Array.from({ length: longMessages }, () => grpcFrame(sayHelloResponseBytes))),
    TEN_CONNECTIONS,
  );
  return workloads;
}
