/**
 * A request over the limit on HTTP/2, from a client that declared its `content-length` and
 * ends its upload short (END_STREAM) as soon as it reads the answer, as connect-go does in
 * the conformance suite's "request-exceeds-server-limit": the response must be complete
 * (END_STREAM) before nghttp2 resets the stream for the short body (RST_STREAM
 * PROTOCOL_ERROR), on every protocol, fast path on and off. For gRPC that takes the
 * Trailers-Only form (`trailers-only-when-empty.ts`, `respondTrailersOnly`).
 */
import { createHelloServer, type Server } from "../server.js";
import { type ReceivedFrame, connectRawHttp2, FrameFlag, FrameType, frame, headerBlock } from "../test-support/raw-http2-frames.js";

const LIMIT = 64 * 1024;
const WAIT_MS = 5_000;

/** A message 10 bytes over the limit, enveloped (streaming protocols) or bare (Connect unary). */
function bodyOverTheLimit(enveloped: boolean): Buffer {
  const message = Buffer.alloc(LIMIT + 10);
  if (!enveloped) return message;
  const header = Buffer.alloc(5);
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

/** What the client saw on its stream, in order: "HEADERS", "DATA", "+END" for END_STREAM, "RST(code)". */
function streamEvents(frames: readonly ReceivedFrame[]): string[] {
  return frames
    .filter((f) => f.streamId === 1 && (f.type === FrameType.HEADERS || f.type === FrameType.DATA || f.type === FrameType.RST_STREAM))
    .map((f) =>
      f.type === FrameType.RST_STREAM
        ? `RST(${f.payload.readUInt32BE(0)})`
        : `${f.type === FrameType.DATA ? "DATA" : "HEADERS"}${f.flags & FrameFlag.END_STREAM ? "+END" : ""}`,
    );
}

async function uploadAndEndShortOnAnswer(port: number, path: string, contentType: string, enveloped: boolean): Promise<string[]> {
  const connection = await connectRawHttp2(port);
  try {
    const body = bodyOverTheLimit(enveloped);
    const headers: [string, string][] = [
      [":method", "POST"],
      [":scheme", "http"],
      [":authority", "127.0.0.1"],
      [":path", path],
      ["content-type", contentType],
      ["content-length", String(body.length)],
      ["te", "trailers"],
    ];
    if (!contentType.startsWith("application/grpc")) headers.push(["connect-protocol-version", "1"]);
    await connection.write(frame(FrameType.HEADERS, FrameFlag.END_HEADERS, 1, headerBlock(headers)));
    // Half of the initial window: the server reads the message's length, or all of it for
    // Connect unary, and answers while the upload is unfinished.
    await connection.write(frame(FrameType.DATA, 0, 1, body.subarray(0, 16_384)));
    await connection.write(frame(FrameType.DATA, 0, 1, body.subarray(16_384, 32_768)));
    // The first frame that carries the answer: the message of a Connect or gRPC-Web
    // response; for gRPC the response HEADERS, after which connect-go ends its upload at once
    // (a gRPC status must then be in that frame: Trailers-Only).
    const grpc = contentType.startsWith("application/grpc+");
    const answer = await connection.waitFor((f) => {
      if (f.streamId !== 1) return false;
      return f.type === FrameType.DATA || f.type === FrameType.RST_STREAM || (grpc && f.type === FrameType.HEADERS);
    }, WAIT_MS);
    expect(answer).toBeDefined();
    // The client has its answer and ends the upload at once, short of its content-length.
    if (answer !== undefined && !(answer.flags & FrameFlag.END_STREAM) && answer.type !== FrameType.RST_STREAM) {
      await connection.write(frame(FrameType.DATA, FrameFlag.END_STREAM, 1));
    }
    await connection.waitFor(
      (f) => f.streamId === 1 && (f.type === FrameType.RST_STREAM || (f.flags & FrameFlag.END_STREAM) !== 0),
      WAIT_MS,
    );
    return streamEvents(connection.frames);
  } finally {
    connection.close();
  }
}

describe.each([true, false])("an early answer on HTTP/2 to a client that ends its upload short (fast path %s)", (fastPath) => {
  let server: Server;
  beforeAll(async () => {
    server = createHelloServer({ port: 0, host: "127.0.0.1", readMaxBytes: LIMIT, fastPath });
    await server.listen();
  });
  afterAll(() => server.close(1_000));

  it.each([
    ["Connect unary", "/hello.v1.HelloService/SayHello", "application/proto", false],
    ["Connect server stream", "/hello.v1.HelloService/LotsOfReplies", "application/connect+proto", true],
    ["gRPC-Web unary", "/hello.v1.HelloService/SayHello", "application/grpc-web+proto", true],
    ["gRPC-Web server stream", "/hello.v1.HelloService/LotsOfReplies", "application/grpc-web+proto", true],
    ["gRPC unary", "/hello.v1.HelloService/SayHello", "application/grpc+proto", true],
    ["gRPC server stream", "/hello.v1.HelloService/LotsOfReplies", "application/grpc+proto", true],
  ] as const)("%s: the response ends (END_STREAM) before any reset", async (_name, path, contentType, enveloped) => {
    const seen = await uploadAndEndShortOnAnswer(server.port, path, contentType, enveloped);
    if (contentType.startsWith("application/grpc+")) expect(seen[0]).toBe("HEADERS+END");
    const end = seen.findIndex((s) => s.endsWith("+END"));
    const reset = seen.findIndex((s) => s.startsWith("RST"));
    expect({ seen, ended: end >= 0, resetBeforeEnd: reset >= 0 && reset < end }).toEqual({
      seen,
      ended: true,
      resetBeforeEnd: false,
    });
  });
});
