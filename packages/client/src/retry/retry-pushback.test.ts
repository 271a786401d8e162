import { Code, ConnectError } from "@connectrpc/connect";
import { RETRY_PUSHBACK_HEADER, retryPushbackOf } from "./retry-pushback.js";

function errorWith(pushback?: string): ConnectError {
  return new ConnectError("busy", Code.Unavailable, pushback === undefined ? undefined : { [RETRY_PUSHBACK_HEADER]: pushback });
}

describe("retryPushbackOf()", () => {
  it("reads a delay in milliseconds", () => {
    expect(retryPushbackOf(errorWith("250"))).toBe(250);
    expect(retryPushbackOf(errorWith("0"))).toBe(0);
  });

  it("is undefined when the server sent no hint", () => {
    expect(retryPushbackOf(errorWith())).toBeUndefined();
  });

  it.each(["-1", "soon", "1.5", ""])("says stop for %j, as A6 asks of a value that is not a non-negative integer", (value) => {
    expect(retryPushbackOf(errorWith(value))).toBe("stop");
  });
});
