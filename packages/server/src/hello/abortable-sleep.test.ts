import { getEventListeners } from "node:events";
import { setTimeout as nodeSleep } from "node:timers/promises";
import { abortableSleep } from "./abortable-sleep.js";

describe("abortableSleep()", () => {
  it("resolves after the time has passed, and leaves no listener on the signal", async () => {
    const abort = new AbortController();
    const started = performance.now();
    await expect(abortableSleep(20, abort.signal)).resolves.toBeUndefined();
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
    expect(getEventListeners(abort.signal, "abort")).toHaveLength(0);
  });

  it("rejects as node:timers/promises does when the signal aborts during the wait", async () => {
    const ours = new AbortController();
    const node = new AbortController();
    const reason = new Error("gone");
    const waits = [abortableSleep(10_000, ours.signal), nodeSleep(10_000, undefined, { signal: node.signal })];
    ours.abort(reason);
    node.abort(reason);
    const [got, expected] = await Promise.all(
      waits.map((w) =>
        w.then(
          () => undefined,
          (e: unknown) => e as Error & { code?: string },
        ),
      ),
    );
    expect(got).toBeInstanceOf(Error);
    for (const key of ["name", "message", "code", "cause"] as const) expect(got?.[key]).toBe(expected?.[key]);
  });

  it("rejects at once when the signal has already aborted", async () => {
    const abort = new AbortController();
    abort.abort("why");
    await expect(abortableSleep(10_000, abort.signal)).rejects.toMatchObject({ name: "AbortError", code: "ABORT_ERR", cause: "why" });
    expect(getEventListeners(abort.signal, "abort")).toHaveLength(0);
  });
});
