import { peerOf } from "./connection-info.js";

describe("peerOf()", () => {
  it("joins address and port, IPv6 in brackets", () => {
    expect(peerOf({ httpVersion: "2", remoteAddress: "127.0.0.1", remotePort: 5000 })).toBe("127.0.0.1:5000");
    expect(peerOf({ httpVersion: "2", remoteAddress: "::1", remotePort: 5000 })).toBe("[::1]:5000");
    expect(peerOf({ httpVersion: "1.1", remoteAddress: "::ffff:10.0.0.1", remotePort: 80 })).toBe("[::ffff:10.0.0.1]:80");
  });

  it("is undefined when the socket no longer knows its peer", () => {
    expect(peerOf({ httpVersion: "1.1", remoteAddress: undefined, remotePort: undefined })).toBeUndefined();
  });
});
