import { createGreeter, DEFAULT_REPLY_COUNT, type CallScope, type GreetingEnd } from "./greeter.js";

const scope = (signal = new AbortController().signal): CallScope => ({ signal, timeoutMs: () => undefined });

async function* from<T>(items: T[]): AsyncIterable<T> {
  for (const item of items) yield item;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe("createGreeter()", () => {
  describe("sayHello()", () => {
    it("replies with the greeting in it", () => {
      expect(createGreeter().sayHello("hi there")).toBe("Hello, hi there!");
    });
  });

  describe("lotsOfReplies()", () => {
    it("sends the requested number of replies, pausing the interval between them only", async () => {
      const pauses: number[] = [];
      const greeter = createGreeter({ sleep: async (ms) => void pauses.push(ms) });
      const replies = await collect(greeter.lotsOfReplies({ greeting: "g", count: 3, intervalMs: 250 }, scope()));
      expect(replies).toEqual(["Hello, g! (reply 1 of 3)", "Hello, g! (reply 2 of 3)", "Hello, g! (reply 3 of 3)"]);
      expect(pauses).toEqual([250, 250]);
    });

    it(`sends the default of ${DEFAULT_REPLY_COUNT} replies when asked for 0`, async () => {
      const replies = await collect(createGreeter().lotsOfReplies({ greeting: "g", count: 0, intervalMs: 0 }, scope()));
      expect(replies).toHaveLength(DEFAULT_REPLY_COUNT);
      expect(DEFAULT_REPLY_COUNT).toBeGreaterThanOrEqual(1);
    });

    it("stops at once when the signal aborts during a pause, and reports why", async () => {
      const abort = new AbortController();
      const ends: [GreetingEnd, number][] = [];
      const greeter = createGreeter({
        // The real sleep, so the abort interrupts a pending timer.
        observer: { ended: (_m, end, n) => void ends.push([end, n]) },
      });
      const got: string[] = [];
      const run = (async () => {
        for await (const r of greeter.lotsOfReplies({ greeting: "g", count: 100, intervalMs: 10_000 }, scope(abort.signal))) {
          got.push(r);
          if (got.length === 1) setTimeout(() => abort.abort(new Error("gone")), 5);
        }
      })();
      const started = Date.now();
      await expect(run).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(got).toHaveLength(1);
      expect(ends).toEqual([["aborted", 1]]);
    });

    it("does no work at all when the signal is already aborted", async () => {
      const abort = new AbortController();
      abort.abort();
      const replied = jest.fn();
      const greeter = createGreeter({ observer: { replied } });
      await expect(collect(greeter.lotsOfReplies({ greeting: "g", count: 5, intervalMs: 0 }, scope(abort.signal)))).rejects.toThrow();
      expect(replied).not.toHaveBeenCalled();
    });
  });

  describe("lotsOfGreetings()", () => {
    it("answers once with every greeting in order", async () => {
      await expect(createGreeter().lotsOfGreetings(from(["a", "b", "c"]), scope())).resolves.toBe("Hello, a, b, c!");
    });
    it("answers an empty stream too", async () => {
      await expect(createGreeter().lotsOfGreetings(from([]), scope())).resolves.toBe("Hello, nobody!");
    });
  });

  describe("bidiHello()", () => {
    it("answers each greeting before the next one is read", async () => {
      const log: string[] = [];
      async function* input() {
        for (const g of ["x", "y"]) {
          log.push(`in ${g}`);
          yield g;
        }
      }
      for await (const reply of createGreeter().bidiHello(input(), scope())) log.push(`out ${reply}`);
      expect(log).toEqual(["in x", "out Hello, x!", "in y", "out Hello, y!"]);
    });
  });
});
