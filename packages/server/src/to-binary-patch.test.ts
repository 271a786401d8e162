/**
 * The workspace's patch of @bufbuild/protobuf (patches/, pnpm-workspace.yaml
 * `patchedDependencies`): toBinary() keeps one writer between calls. Serialized bytes
 * must be exactly what an unpatched toBinary() writes, every result its own copy, and
 * a failed or re-entered call must not leak into the next one.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, configureTextEncoding, getTextEncoding } from "@bufbuild/protobuf/wire";
import { HelloRequestSchema, HelloResponseSchema } from "@hello/sdk";

/** What the unpatched toBinary() writes for a HelloRequest: the fields by hand. */
function expectedRequestBytes(greeting: string, replyCount: number): Uint8Array {
  const writer = new BinaryWriter();
  if (greeting !== "") writer.tag(1, 2).string(greeting);
  if (replyCount !== 0) writer.tag(2, 0).uint32(replyCount);
  return writer.finish();
}

describe("@bufbuild/protobuf toBinary() with the workspace's patch", () => {
  it("is the patched one (keeps a writer between calls)", () => {
    expect(toBinary.toString()).toContain("sharedWriter");
  });

  it("writes the same bytes as before, each result a copy of its own", () => {
    const first = toBinary(HelloRequestSchema, create(HelloRequestSchema, { greeting: "Ann", replyCount: 3 }));
    const second = toBinary(HelloRequestSchema, create(HelloRequestSchema, { greeting: "Bob the second", replyCount: 0 }));
    expect(first).toEqual(expectedRequestBytes("Ann", 3));
    expect(second).toEqual(expectedRequestBytes("Bob the second", 0));
    expect(first.buffer).not.toBe(second.buffer);
    expect(first.byteLength).toBe(first.buffer.byteLength);
  });

  it("starts clean after a call that threw midway", () => {
    const bad = create(HelloRequestSchema, { greeting: "x" });
    (bad as { replyCount: unknown }).replyCount = "not a number";
    expect(() => toBinary(HelloRequestSchema, bad)).toThrow();
    const bytes = toBinary(HelloRequestSchema, create(HelloRequestSchema, { greeting: "after", replyCount: 1 }));
    expect(bytes).toEqual(expectedRequestBytes("after", 1));
  });

  it("serializes a call made from inside another (a getter) with a writer of its own", () => {
    const inner = create(HelloResponseSchema, { reply: "inner" });
    let innerBytes: Uint8Array | undefined;
    const outer = create(HelloRequestSchema, { replyCount: 2 });
    Object.defineProperty(outer, "greeting", {
      enumerable: true,
      get() {
        innerBytes = toBinary(HelloResponseSchema, inner);
        return "outer";
      },
    });
    const outerBytes = toBinary(HelloRequestSchema, outer);
    expect(outerBytes).toEqual(expectedRequestBytes("outer", 2));
    expect(fromBinary(HelloResponseSchema, innerBytes ?? new Uint8Array()).reply).toBe("inner");
  });

  it("handles a message larger than the kept buffer, then small ones again", () => {
    const big = "x".repeat(200_000);
    expect(toBinary(HelloRequestSchema, create(HelloRequestSchema, { greeting: big }))).toEqual(expectedRequestBytes(big, 0));
    expect(toBinary(HelloRequestSchema, create(HelloRequestSchema, { greeting: "small" }))).toEqual(expectedRequestBytes("small", 0));
  });
  it("honours configureTextEncoding() made after a writer was kept", () => {
    toBinary(HelloRequestSchema, create(HelloRequestSchema, { greeting: "keeps a writer" }));
    const original = getTextEncoding();
    // A text encoding that marks what it encoded: upper case, so its use shows in the bytes (an ASCII string would skip it: the
    // writer copies ASCII itself).
    const encoder = new TextEncoder();
    configureTextEncoding({
      checkUtf8: original.checkUtf8,
      decodeUtf8: original.decodeUtf8,
      encodeUtf8: (text: string) => encoder.encode(text.toUpperCase()),
    });
    try {
      const bytes = toBinary(HelloRequestSchema, create(HelloRequestSchema, { greeting: "grüße" }));
      expect(fromBinary(HelloRequestSchema, bytes).greeting).toBe("GRÜSSE");
    } finally {
      configureTextEncoding(original);
    }
    const bytes = toBinary(HelloRequestSchema, create(HelloRequestSchema, { greeting: "quiet" }));
    expect(fromBinary(HelloRequestSchema, bytes).greeting).toBe("quiet");
  });
});
