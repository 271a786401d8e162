import { Code, ConnectError } from "@connectrpc/connect";
import { metadataToHeaders } from "./metadata-to-headers.js";
import { parseMetadataEntry } from "./parse-metadata-entry.js";

describe("parseMetadataEntry()", () => {
  it("parses key:value, lower-casing the key and trimming space after the colon", () => {
    expect(parseMetadataEntry("X-Tenant:  acme corp")).toEqual({ key: "x-tenant", value: "acme corp" });
  });

  it("keeps colons in the value", () => {
    expect(parseMetadataEntry("x-url:http://a:1")).toEqual({ key: "x-url", value: "http://a:1" });
  });

  it("decodes base64 values of -bin keys, standard or URL-safe, padded or not", () => {
    const bytes = new Uint8Array([0xfb, 0xff, 0x01]);
    for (const text of ["+/8B", "-_8B"]) {
      expect(parseMetadataEntry(`x-trace-bin:${text}`)).toEqual({ key: "x-trace-bin", value: bytes });
    }
    expect(parseMetadataEntry("x-trace-bin:AAE=")).toEqual({ key: "x-trace-bin", value: new Uint8Array([0, 1]) });
    expect(parseMetadataEntry("x-trace-bin:AAE")).toEqual({ key: "x-trace-bin", value: new Uint8Array([0, 1]) });
  });

  it.each([
    ["grpc-timeout:1S", /reserved.*"grpc-".*--timeout/],
    ["grpc-status:0", /reserved.*"grpc-"/],
    ["content-type:text/plain", /reserved.*transport/],
    ["te:trailers", /reserved.*transport/],
    ["x-blob-bin:not base64", /base64/],
    ["x-blob-bin:AAAAA", /base64/],
    ["x-name:grüße", /printable ASCII.*-bin/],
    ["x name:v", /invalid/],
    [":v", /empty key/],
    ["novalue", /key:value/],
  ])("refuses %s with INVALID_ARGUMENT", (text, message) => {
    const result = parseMetadataEntry(text);
    expect(result).toBeInstanceOf(ConnectError);
    expect((result as ConnectError).code).toBe(Code.InvalidArgument);
    expect((result as ConnectError).rawMessage).toMatch(message);
  });
});

describe("metadataToHeaders()", () => {
  it("sends repeated keys in order and binary values base64-encoded", () => {
    const headers = metadataToHeaders([
      { key: "x-a", value: "1" },
      { key: "x-a", value: "2" },
      { key: "x-b-bin", value: new Uint8Array([0, 1, 2, 3]) },
    ]);
    expect(headers.get("x-a")).toBe("1, 2");
    expect(headers.get("x-b-bin")).toBe("AAECAw");
  });
});
