import { createInFlightCalls, type InFlightCall } from "./in-flight-calls.js";

const call = (name: string) => ({ name, inFlightSlot: -1 });
const names = (calls: { forEach(fn: (c: InFlightCall & { name: string }) => void): void }) => {
  const seen: string[] = [];
  calls.forEach((c) => seen.push(c.name));
  return seen.sort();
};

describe("createInFlightCalls()", () => {
  it("holds the calls added and not deleted, and counts them", () => {
    const calls = createInFlightCalls<ReturnType<typeof call>>();
    const [a, b, c] = [call("a"), call("b"), call("c")];
    calls.add(a);
    calls.add(b);
    calls.add(c);
    calls.delete(b);
    expect(names(calls)).toEqual(["a", "c"]);
    expect(names(calls)).toHaveLength(2);
    expect(b.inFlightSlot).toBe(-1);
  });

  it("reuses freed slots and keeps each call in its own", () => {
    const calls = createInFlightCalls<ReturnType<typeof call>>();
    const all = Array.from({ length: 5 }, (_, i) => call(`c${i}`));
    for (const c of all) calls.add(c);
    calls.delete(all[1]!);
    calls.delete(all[3]!);
    const [d, e, f] = [call("d"), call("e"), call("f")];
    calls.add(d);
    calls.add(e);
    calls.add(f);
    // Two freed slots reused, one new: no slot holds two calls, none is lost.
    expect([d.inFlightSlot, e.inFlightSlot].sort()).toEqual([1, 3]);
    expect(f.inFlightSlot).toBe(5);
    expect(names(calls)).toEqual(["c0", "c2", "c4", "d", "e", "f"]);
    expect(names(calls)).toHaveLength(6);
  });

  it("ignores adding a registered call and deleting an unregistered one", () => {
    const calls = createInFlightCalls<ReturnType<typeof call>>();
    const [a, b] = [call("a"), call("b")];
    calls.add(a);
    calls.add(a);
    calls.delete(b);
    calls.delete(a);
    calls.delete(a);
    expect(names(calls)).toEqual([]);
    calls.add(b);
    expect(names(calls)).toEqual(["b"]);
  });

  it("leaves a call registered when asked to delete a copy of it (an interceptor's { ...req })", () => {
    const calls = createInFlightCalls<ReturnType<typeof call>>();
    const a = call("a");
    calls.add(a);
    calls.delete({ ...a });
    calls.add({ ...a, name: "copy" });
    expect(names(calls)).toEqual(["a"]);
    expect(a.inFlightSlot).toBe(0);
  });

  it("visits a call that deletes itself, skips the ones it deleted and the ones it added", () => {
    const calls = createInFlightCalls<ReturnType<typeof call>>();
    const all = Array.from({ length: 4 }, (_, i) => call(`c${i}`));
    for (const c of all) calls.add(c);
    const visited: string[] = [];
    calls.forEach((c) => {
      visited.push(c.name);
      calls.delete(c);
      if (c === all[0]) calls.delete(all[2]!);
      calls.add(call(`new-${c.name}`));
    });
    expect(visited).toEqual(["c0", "c1", "c3"]);
    expect(names(calls)).toEqual(["new-c0", "new-c1", "new-c3"]);
  });
});
