import { Code, ConnectError } from "@connectrpc/connect";
import { requestIdOf } from "./request-id-of.js";

describe("requestIdOf()", () => {
  it("reads the request id of response headers and of errors", () => {
    expect(requestIdOf(new Headers({ "x-request-id": "a" }))).toBe("a");
    expect(requestIdOf(new ConnectError("x", Code.Internal, { "x-request-id": "b" }))).toBe("b");
  });

  it("is undefined when there is none", () => {
    expect(requestIdOf(new Headers())).toBeUndefined();
    expect(requestIdOf(new Error("plain"))).toBeUndefined();
    expect(requestIdOf(undefined)).toBeUndefined();
  });
});
