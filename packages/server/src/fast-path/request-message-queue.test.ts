import { HIGH_WATER_BYTES, HIGH_WATER_MESSAGES, RequestMessageQueue } from "./request-message-queue.js";

function createFlow() {
  const calls: string[] = [];
  return { calls, flow: { pause: () => calls.push("pause"), resume: () => calls.push("resume") } };
}

describe("RequestMessageQueue", () => {
  it("yields the messages in order, then ends", async () => {
    const { flow } = createFlow();
    const queue = new RequestMessageQueue<number>(flow);
    queue.push(1, 10);
    queue.push(2, 10);
    queue.end(undefined);
    const seen: number[] = [];
    for await (const n of queue) seen.push(n);
    expect(seen).toEqual([1, 2]);
  });

  it("gives a waiting reader the next message, and the end", async () => {
    const { flow } = createFlow();
    const queue = new RequestMessageQueue<string>(flow);
    const first = queue.next();
    const second = queue.next();
    queue.push("a", 1);
    queue.end(undefined);
    expect(await first).toEqual({ done: false, value: "a" });
    expect(await second).toEqual({ done: true, value: undefined });
  });

  it("delivers the messages before an error, then the error, to a reader waiting or not", async () => {
    const { flow } = createFlow();
    const queue = new RequestMessageQueue<string>(flow);
    const error = new Error("too large");
    queue.push("a", 1);
    queue.end(error);
    queue.push("ignored", 1);
    expect(await queue.next()).toEqual({ done: false, value: "a" });
    await expect(queue.next()).rejects.toBe(error);

    const waiting = new RequestMessageQueue<string>(flow);
    const next = waiting.next();
    waiting.end(error);
    await expect(next).rejects.toBe(error);
  });

  it(`pauses the request once the reader is ${HIGH_WATER_MESSAGES} messages behind, and resumes it when all are read`, async () => {
    const { calls, flow } = createFlow();
    const queue = new RequestMessageQueue<number>(flow);
    for (let i = 0; i < HIGH_WATER_MESSAGES - 1; i++) queue.push(i, 1);
    expect(calls).toEqual([]);
    queue.push(HIGH_WATER_MESSAGES - 1, 1);
    queue.push(HIGH_WATER_MESSAGES, 1);
    expect(calls).toEqual(["pause"]);
    for (let i = 0; i < HIGH_WATER_MESSAGES; i++) await queue.next();
    expect(calls).toEqual(["pause"]);
    await queue.next();
    expect(calls).toEqual(["pause", "resume"]);
  });

  it(`pauses the request once the reader is ${HIGH_WATER_BYTES} bytes behind`, async () => {
    const { calls, flow } = createFlow();
    const queue = new RequestMessageQueue<number>(flow);
    queue.push(1, HIGH_WATER_BYTES - 1);
    expect(calls).toEqual([]);
    queue.push(2, 1);
    expect(calls).toEqual(["pause"]);
    await queue.next();
    await queue.next();
    expect(calls).toEqual(["pause", "resume"]);
  });

  it("does not resume a request whose messages have ended", async () => {
    const { calls, flow } = createFlow();
    const queue = new RequestMessageQueue<number>(flow);
    for (let i = 0; i < HIGH_WATER_MESSAGES; i++) queue.push(i, 1);
    queue.end(new Error("failed"));
    for (let i = 0; i < HIGH_WATER_MESSAGES; i++) await queue.next();
    expect(calls).toEqual(["pause"]);
  });
});
