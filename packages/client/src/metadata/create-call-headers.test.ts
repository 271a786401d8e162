import { binaryHeaderValues } from "./binary-header.js";
import { createCallHeaders } from "./create-call-headers.js";

describe("createCallHeaders()", () => {
  it("builds headers from typed parts", () => {
    const headers = createCallHeaders({
      ascii: { "x-tenant": "acme", "x-tag": ["a", "b"] },
      binary: { "x-trace-bin": new Uint8Array([1, 2, 3]), "x-more-bin": [new Uint8Array([4]), new Uint8Array([5])] },
      requestId: "req-1",
      token: "t0ken",
    });
    expect(headers.get("x-tenant")).toBe("acme");
    expect(headers.get("x-tag")).toBe("a, b");
    expect(binaryHeaderValues(headers, "x-trace-bin")).toEqual([new Uint8Array([1, 2, 3])]);
    expect(binaryHeaderValues(headers, "x-more-bin")).toEqual([new Uint8Array([4]), new Uint8Array([5])]);
    expect(headers.get("x-request-id")).toBe("req-1");
    expect(headers.get("authorization")).toBe("Bearer t0ken");
  });

  it("refuses reserved keys and bad values, naming the key", () => {
    expect(() => createCallHeaders({ ascii: { "grpc-message": "hi" } })).toThrow(/"grpc-message" is reserved/);
    expect(() => createCallHeaders({ ascii: { "x-a": "\u00ff" } })).toThrow(/"x-a" must be printable ASCII/);
    expect(() => createCallHeaders({ requestId: "" })).toThrow(/request id must not be empty/);
  });
});
