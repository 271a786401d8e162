import { RequestMessages } from "./request-messages.js";

describe("RequestMessages", () => {
  it("yields the messages in order, then ends, and stays done", async () => {
    const messages = new RequestMessages<number>();
    messages.push(1);
    messages.push(2);
    messages.end(undefined);
    const seen: number[] = [];
    for await (const n of messages) seen.push(n);
    expect(seen).toEqual([1, 2]);
    expect(await messages.next()).toEqual({ done: true, value: undefined });
  });

  it("answers readers waiting at once in turn", async () => {
    const messages = new RequestMessages<string>();
    const first = messages.next();
    const second = messages.next();
    const third = messages.next();
    messages.push("a");
    messages.push("b");
    messages.end(undefined);
    expect(await first).toEqual({ done: false, value: "a" });
    expect(await second).toEqual({ done: false, value: "b" });
    expect(await third).toEqual({ done: true, value: undefined });
  });

  it("delivers the messages before an error, then the error once", async () => {
    const messages = new RequestMessages<string>();
    const waiting = messages.next();
    messages.push("a");
    messages.end(new Error("broken"));
    expect(await waiting).toEqual({ done: false, value: "a" });
    await expect(messages.next()).rejects.toThrow("broken");
    expect(await messages.next()).toEqual({ done: true, value: undefined });
  });

  it("is done once closed or thrown into, as a generator", async () => {
    const closed = new RequestMessages<string>();
    closed.push("a");
    expect(await closed.return("r")).toEqual({ done: true, value: "r" });
    expect(await closed.next()).toEqual({ done: true, value: undefined });
    const thrown = new RequestMessages<string>();
    await expect(thrown.throw(new Error("stop"))).rejects.toThrow("stop");
    expect(await thrown.next()).toEqual({ done: true, value: undefined });
  });
});
