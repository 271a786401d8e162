import { appendBinaryHeader, binaryHeaderValues } from "./binary-header.js";

describe("appendBinaryHeader() and binaryHeaderValues()", () => {
  it("round-trip every byte value", () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const headers = appendBinaryHeader(new Headers(), "x-blob-bin", bytes);
    expect(headers.get("x-blob-bin")).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(binaryHeaderValues(headers, "x-blob-bin")).toEqual([bytes]);
  });

  it("keep repeated values apart, in order", () => {
    const headers = new Headers();
    appendBinaryHeader(headers, "x-blob-bin", new Uint8Array([1]));
    appendBinaryHeader(headers, "x-blob-bin", new Uint8Array([2, 3]));
    expect(binaryHeaderValues(headers, "x-blob-bin")).toEqual([new Uint8Array([1]), new Uint8Array([2, 3])]);
  });

  it("decode unpadded and URL-safe base64, as gRPC peers may send", () => {
    expect(binaryHeaderValues(new Headers({ "x-blob-bin": "-_8" }), "x-blob-bin")).toEqual([new Uint8Array([251, 255])]);
  });

  it("find nothing for an absent key", () => {
    expect(binaryHeaderValues(new Headers(), "x-blob-bin")).toEqual([]);
  });

  it("refuse keys without the -bin suffix", () => {
    expect(() => appendBinaryHeader(new Headers(), "x-blob", new Uint8Array())).toThrow('metadata key "x-blob" does not end in "-bin"');
    expect(() => binaryHeaderValues(new Headers(), "x-blob")).toThrow(/does not end in "-bin"/);
  });
});
