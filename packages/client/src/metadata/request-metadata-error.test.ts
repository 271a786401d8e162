import { encodeBinaryHeader } from "@connectrpc/connect";
import { requestMetadataError } from "./request-metadata-error.js";

describe("requestMetadataError()", () => {
  it("accepts ordinary metadata, repeated binary values included", () => {
    const headers = new Headers({ "x-tenant": "acme", authorization: "Bearer abc" });
    headers.append("x-trace-bin", encodeBinaryHeader(new Uint8Array([0, 1])));
    headers.append("x-trace-bin", encodeBinaryHeader(new Uint8Array([2])));
    expect(requestMetadataError(headers)).toBeUndefined();
    expect(requestMetadataError(undefined)).toBeUndefined();
    expect(requestMetadataError([["x-a", "1"]])).toBeUndefined();
  });

  it.each([
    [
      { "grpc-timeout": "1S" },
      /\[invalid_argument\] metadata key "grpc-timeout" is reserved: keys starting with "grpc-" belong to the gRPC protocol/,
    ],
    [{ "Grpc-Status": "0" }, /"grpc-status" is reserved/],
    [{ "content-type": "text/plain" }, /"content-type" is reserved: the HTTP transport sets it/],
    [{ "x-blob-bin": "not base64!" }, /"x-blob-bin" is a binary \(-bin\) key: its value must be base64/],
    [{ "x-name": "caf\u00e9" }, /"x-name" must be printable ASCII/],
  ])("refuses %j, naming the key", (headers, message) => {
    expect(requestMetadataError(headers)?.message).toMatch(message);
  });

  it("refuses what Headers itself refuses, as INVALID_ARGUMENT", () => {
    expect(requestMetadataError({ "bad key": "x" })?.message).toMatch(/^\[invalid_argument\] invalid metadata: /);
  });
});
