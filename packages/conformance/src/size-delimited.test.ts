import { readSizeDelimited, writeSizeDelimited } from "./size-delimited.js";

async function* chunks(...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* parts;
}

async function readAll(input: AsyncIterable<Uint8Array>): Promise<number[][]> {
  const messages: number[][] = [];
  for await (const message of readSizeDelimited(input)) messages.push([...message]);
  return messages;
}

describe("writeSizeDelimited()", () => {
  it("prefixes a message with its length, big-endian", () => {
    expect([...writeSizeDelimited(new Uint8Array([7, 8, 9]))]).toEqual([0, 0, 0, 3, 7, 8, 9]);
  });
});

describe("readSizeDelimited()", () => {
  it("reads messages split across chunks and several in one chunk", async () => {
    const framed = new Uint8Array([
      ...writeSizeDelimited(new Uint8Array([1, 2])),
      ...writeSizeDelimited(new Uint8Array([])),
      ...writeSizeDelimited(new Uint8Array([3])),
    ]);
    const input = chunks(framed.subarray(0, 3), framed.subarray(3, 9), framed.subarray(9));
    expect(await readAll(input)).toEqual([[1, 2], [], [3]]);
  });

  it("rejects input that ends inside a message", async () => {
    await expect(readAll(chunks(new Uint8Array([0, 0, 0, 5, 1])))).rejects.toThrow("ended inside");
  });
});
