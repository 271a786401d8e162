import { grpcFrame, grpcWebTrailerFrame } from "./grpc-frame.js";
import { checkAnswer } from "./verify-answer.js";
import { createWorkloads, type Workload } from "./workloads.js";

const workloads = createWorkloads();
const workload = (id: string): Workload => workloads.find((w) => w.id === id)!;

describe("checkAnswer()", () => {
  it("accepts the exact gRPC answer with grpc-status 0 in the trailers", () => {
    const w = workload("grpc-unary-c10");
    const answer = {
      status: 200,
      headers: { "content-type": "application/grpc+proto" },
      trailers: { "grpc-status": "0" },
      body: w.expected.body,
    };
    expect(checkAnswer(w, answer)).toEqual([]);
  });

  it("rejects a gRPC error, even as HTTP 200 (trailers-only)", () => {
    const w = workload("grpc-unary-c10");
    const problems = checkAnswer(w, {
      status: 200,
      headers: { "content-type": "application/grpc", "grpc-status": "3", "grpc-message": "bad" },
      trailers: {},
      body: Buffer.alloc(0),
    });
    expect(problems).toEqual([expect.stringMatching(/^grpc-status 3 \(bad\)/), expect.stringMatching(/^body differs/)]);
  });

  it("rejects a reply whose bytes differ", () => {
    const w = workload("connect-proto-unary-c1");
    const body = Buffer.from(w.expected.body);
    body[body.length - 1] = 0x3f;
    const problems = checkAnswer(w, { status: 200, headers: { "content-type": "application/proto" }, trailers: {}, body });
    expect(problems).toEqual([expect.stringMatching(/^body differs/)]);
  });

  it("reads gRPC-Web's status from the trailer frame at the end of the body", () => {
    const w = workload("grpc-web-unary-c10");
    const headers = { "content-type": "application/grpc-web+proto" };
    const ok = Buffer.concat([w.expected.body, grpcWebTrailerFrame({ "grpc-status": "0", "x-reply-count": "1" })]);
    expect(checkAnswer(w, { status: 200, headers, trailers: {}, body: ok })).toEqual([]);
    const failed = Buffer.concat([w.expected.body, grpcWebTrailerFrame({ "grpc-status": "13" })]);
    expect(checkAnswer(w, { status: 200, headers, trailers: {}, body: failed })).toEqual(["gRPC-Web trailer grpc-status 13, expected 0"]);
    expect(checkAnswer(w, { status: 200, headers, trailers: {}, body: w.expected.body })).toEqual([
      "gRPC-Web body does not end with a trailer frame",
    ]);
  });

  it("wants the streaming workload's 1,000 replies in order", () => {
    const w = workload("grpc-stream-c10");
    expect(w.expected.body.length).toBeGreaterThan(1_000 * 5);
    const truncated = w.expected.body.subarray(0, w.expected.body.length - 10);
    const problems = checkAnswer(w, {
      status: 200,
      headers: { "content-type": "application/grpc" },
      trailers: { "grpc-status": "0" },
      body: Buffer.concat([truncated, grpcFrame(Buffer.from("x"))]),
    });
    expect(problems).toEqual([expect.stringMatching(/^body differs/)]);
  });
});
