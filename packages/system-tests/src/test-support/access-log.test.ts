import { parseAccessLog } from "./access-log.js";

describe("parseAccessLog()", () => {
  it("reads every try of a call nginx moved on, and the client's attempt count", () => {
    const log = [
      '127.0.0.1 "POST /hello.v1.HelloService/SayHello HTTP/2.0" 200 grpc-status=0 upstream=127.0.0.1:1, 127.0.0.1:2 upstream-status=502, 200 request-id=a previous-attempts=2 time=0.004',
      '127.0.0.1 "POST /hello.v1.HelloService/SayHello HTTP/1.1" 502 grpc-status= upstream=127.0.0.1:1 upstream-status=502 request-id=b previous-attempts=- time=0.300',
      "2026/11/21 10:20:12 [error] 1#1: *3 recv() failed (104: Connection reset by peer)",
    ].join("\n");
    expect(parseAccessLog(log)).toEqual([
      {
        status: 200,
        grpcStatus: "0",
        upstreams: ["127.0.0.1:1", "127.0.0.1:2"],
        upstreamStatuses: ["502", "200"],
        requestId: "a",
        previousAttempts: 2,
      },
      { status: 502, grpcStatus: "", upstreams: ["127.0.0.1:1"], upstreamStatuses: ["502"], requestId: "b", previousAttempts: 0 },
    ]);
  });
});
