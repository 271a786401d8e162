import { MappedStream } from "./mapped-stream.js";

async function* source(items: string[], log: string[]) {
  try {
    for (const item of items) yield item;
    log.push("exhausted");
  } finally {
    log.push("closed");
  }
}

async function drain<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

describe("MappedStream", () => {
  it("maps every item and reports how many once the source is exhausted", async () => {
    const log: string[] = [];
    let ended: number | undefined;
    const stream = new MappedStream(
      () => source(["a", "b"], log),
      (s) => s.toUpperCase(),
      (count) => (ended = count),
    );
    expect(await drain(stream)).toEqual(["A", "B"]);
    expect(ended).toBe(2);
    expect(log).toEqual(["exhausted", "closed"]);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it("opens the source on the first next(), and never when closed before it", async () => {
    let opened = 0;
    const open = () => {
      opened++;
      return source(["a"], []);
    };
    const closed = new MappedStream(open, (s) => s);
    expect(opened).toBe(0);
    expect(await closed.return("r")).toEqual({ done: true, value: "r" });
    expect(await closed.next()).toEqual({ done: true, value: undefined });
    expect(opened).toBe(0);
    await drain(new MappedStream(open, (s) => s));
    expect(opened).toBe(1);
  });

  it("closes the source when closed early or thrown into, without reporting an end", async () => {
    const log: string[] = [];
    let ended = false;
    const returned = new MappedStream(
      () => source(["a", "b"], log),
      (s) => s,
      () => (ended = true),
    );
    await returned.next();
    await returned.return();
    expect(log).toEqual(["closed"]);
    const thrown = new MappedStream(
      () => source(["a", "b"], log),
      (s) => s,
      () => (ended = true),
    );
    await thrown.next();
    await expect(thrown.throw(new Error("stop"))).rejects.toThrow("stop");
    expect(log).toEqual(["closed", "closed"]);
    expect(await thrown.next()).toEqual({ done: true, value: undefined });
    expect(ended).toBe(false);
  });

  it("fails as the source or the map fails, and stays done; a failing map closes the source", async () => {
    const failing = new MappedStream(
      () => {
        throw new Error("cannot open");
      },
      (s: string) => s,
    );
    await expect(failing.next()).rejects.toThrow("cannot open");
    expect(await failing.next()).toEqual({ done: true, value: undefined });
    const log: string[] = [];
    const badMap = new MappedStream(
      () => source(["a", "b"], log),
      () => {
        throw new Error("bad item");
      },
    );
    await expect(badMap.next()).rejects.toThrow("bad item");
    expect(log).toEqual(["closed"]);
    expect(await badMap.next()).toEqual({ done: true, value: undefined });
  });

  it("awaits a promise the map returns, as a generator's yield does", async () => {
    const stream = new MappedStream(
      () => source(["a"], []),
      async (s) => `${s}!`,
    );
    expect(await drain(stream)).toEqual(["a!"]);
  });
});
