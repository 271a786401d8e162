import { Code, ConnectError } from "@connectrpc/connect";
import { EnvelopeReader } from "./envelope-reader.js";

const envelope = (bytes: number[], flags = 0) => {
  const out = new Uint8Array(5 + bytes.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, bytes.length);
  out.set(bytes, 5);
  return out;
};

describe("EnvelopeReader", () => {
  it("takes whole envelopes from one chunk, each copied into a plain Uint8Array", () => {
    const reader = new EnvelopeReader(100);
    const chunk = Buffer.concat([envelope([1, 2]), envelope([3], 1)]);
    const envelopes = reader.decode(chunk);
    expect(envelopes.map((e) => ({ flags: e.flags, data: [...e.data] }))).toEqual([
      { flags: 0, data: [1, 2] },
      { flags: 1, data: [3] },
    ]);
    expect(envelopes[0]?.data.constructor).toBe(Uint8Array);
    // A copy: the chunk's memory can change (or be kept alive) without touching the message.
    chunk.fill(0);
    expect([...(envelopes[0]?.data ?? [])]).toEqual([1, 2]);
    expect(reader.pendingBytes).toBe(0);
  });

  it("joins an envelope split anywhere across chunks", () => {
    const whole = envelope([9, 8, 7, 6, 5]);
    for (let cut = 1; cut < whole.length; cut++) {
      const reader = new EnvelopeReader(100);
      expect(reader.decode(whole.subarray(0, cut))).toEqual([]);
      expect(reader.decode(whole.subarray(cut)).map((e) => [...e.data])).toEqual([[9, 8, 7, 6, 5]]);
    }
  });

  it("refuses a length over readMaxBytes as soon as the header is complete, with connect's message", () => {
    const reader = new EnvelopeReader(4);
    expect(() => reader.decode(envelope([1, 2, 3, 4, 5]).subarray(0, 5))).toThrow(
      new ConnectError("message size 5 is larger than configured readMaxBytes 4", Code.ResourceExhausted),
    );
  });

  it("counts pending bytes as connect does: not a taken header whose message never came", () => {
    const headerOnly = new EnvelopeReader(100);
    headerOnly.decode(envelope([1, 2, 3]).subarray(0, 5));
    expect(headerOnly.pendingBytes).toBe(0);

    const partial = new EnvelopeReader(100);
    partial.decode(envelope([1, 2, 3]).subarray(0, 6));
    expect(partial.pendingBytes).toBe(1);

    const partialHeader = new EnvelopeReader(100);
    partialHeader.decode(new Uint8Array([0, 0]));
    expect(partialHeader.pendingBytes).toBe(2);
  });

  it("takes whole envelopes from a chunk and keeps the partial one after them for the next", () => {
    const reader = new EnvelopeReader(100);
    const second = envelope([4, 5, 6]);
    for (let cut = 1; cut < second.length; cut++) {
      const first = reader.decode(Buffer.concat([envelope([1]), second.subarray(0, cut)]));
      expect(first.map((e) => [...e.data])).toEqual([[1]]);
      expect(reader.pendingBytes).toBe(cut < 5 ? cut : cut - 5);
      // The rest completes it, and a whole envelope behind it in the same chunk is read too.
      const rest = reader.decode(Buffer.concat([second.subarray(cut), envelope([7], 1)]));
      expect(rest.map((e) => ({ flags: e.flags, data: [...e.data] }))).toEqual([
        { flags: 0, data: [4, 5, 6] },
        { flags: 1, data: [7] },
      ]);
      expect(reader.pendingBytes).toBe(0);
    }
  });

  it("refuses an oversized length behind a whole envelope in the same chunk", () => {
    const reader = new EnvelopeReader(4);
    expect(() => reader.decode(Buffer.concat([envelope([1]), envelope([1, 2, 3, 4, 5])]))).toThrow(
      new ConnectError("message size 5 is larger than configured readMaxBytes 4", Code.ResourceExhausted),
    );
    // Split after its header, with the first envelope carried over in part: the general path refuses it too.
    const split = new EnvelopeReader(4);
    expect(split.decode(envelope([1]).subarray(0, 3))).toEqual([]);
    expect(() => split.decode(Buffer.concat([envelope([1]).subarray(3), envelope([1, 2, 3, 4, 5]).subarray(0, 5)]))).toThrow(
      "message size 5 is larger than configured readMaxBytes 4",
    );
  });

  it("takes an empty message", () => {
    expect(new EnvelopeReader(100).decode(envelope([])).map((e) => e.data.byteLength)).toEqual([0]);
  });
});
