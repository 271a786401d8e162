import { setTimeoutHeader, timeoutOfHeader } from "./timeout-header.js";

describe("timeoutOfHeader()", () => {
  it.each([
    ["250m", 250],
    ["3S", 3_000],
    ["2M", 120_000],
    ["1H", 3_600_000],
    ["1500u", 1.5],
    ["2000000n", 2],
  ])("reads grpc-timeout %s as %d ms", (value, ms) => {
    expect(timeoutOfHeader(new Headers({ "grpc-timeout": value }))).toBe(ms);
  });

  it("reads connect-timeout-ms", () => {
    expect(timeoutOfHeader(new Headers({ "connect-timeout-ms": "1234" }))).toBe(1234);
  });

  it("is undefined without a timeout, or with one it cannot read", () => {
    expect(timeoutOfHeader(new Headers())).toBeUndefined();
    expect(timeoutOfHeader(new Headers({ "grpc-timeout": "123456789m" }))).toBeUndefined();
    expect(timeoutOfHeader(new Headers({ "connect-timeout-ms": "soon" }))).toBeUndefined();
  });
});

describe("setTimeoutHeader()", () => {
  it("rewrites the header the request carries, rounding down to at least 1 ms", () => {
    const grpc = new Headers({ "grpc-timeout": "1000m" });
    setTimeoutHeader(grpc, 412.7);
    expect(grpc.get("grpc-timeout")).toBe("412m");
    const connect = new Headers({ "connect-timeout-ms": "1000" });
    setTimeoutHeader(connect, 0.2);
    expect(connect.get("connect-timeout-ms")).toBe("1");
  });

  it("switches grpc-timeout to seconds beyond 8 digits of milliseconds", () => {
    const grpc = new Headers({ "grpc-timeout": "1m" });
    setTimeoutHeader(grpc, 200_000_000);
    expect(grpc.get("grpc-timeout")).toBe("200000S");
  });

  it("leaves a request without a timeout alone", () => {
    const none = new Headers();
    setTimeoutHeader(none, 100);
    expect([...none]).toEqual([]);
  });
});
