import { bearerAuthorization } from "./bearer-token.js";

describe("bearerAuthorization()", () => {
  it("makes the authorization value", () => {
    expect(bearerAuthorization("eyJhbGciOi.J9-_~+/abc==")).toBe("Bearer eyJhbGciOi.J9-_~+/abc==");
  });

  it.each(["", "two words", "line\nbreak", "Bearer abc", "=abc"])("refuses %j without echoing it", (token) => {
    let message = "";
    try {
      bearerAuthorization(token);
    } catch (e) {
      message = String(e);
    }
    expect(message).toMatch(/\[invalid_argument\] the bearer token \(\d+ characters\) is not a valid RFC 6750 token/);
    if (token.length > 3) expect(message).not.toContain(token);
  });
});
