import { createHealthStatus, type ServingStatus } from "./health-status.js";

/** Reads `count` statuses from an iterator, failing instead of hanging. */
async function take(it: AsyncIterator<ServingStatus>, count: number): Promise<ServingStatus[]> {
  const out: ServingStatus[] = [];
  while (out.length < count) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`waited in vain after ${out.join(", ")}`)), 1_000);
    });
    const next = await Promise.race([it.next(), timeout]).finally(() => clearTimeout(timer));
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}

describe("createHealthStatus()", () => {
  it("reports SERVICE_UNKNOWN until a status is set", () => {
    const health = createHealthStatus();
    expect(health.get("a")).toBe("SERVICE_UNKNOWN");
    health.set("a", "SERVING");
    expect(health.get("a")).toBe("SERVING");
    expect(health.services()).toEqual(["a"]);
    health.set("a", "SERVICE_UNKNOWN");
    expect(health.get("a")).toBe("SERVICE_UNKNOWN");
    expect(health.services()).toEqual([]);
  });

  it("calls listeners on changes only, until they unsubscribe", () => {
    const health = createHealthStatus();
    const seen: ServingStatus[] = [];
    const unsubscribe = health.subscribe("a", (s) => seen.push(s));
    health.set("a", "SERVING");
    health.set("a", "SERVING");
    health.set("b", "NOT_SERVING");
    health.set("a", "NOT_SERVING");
    expect(health.listenerCount).toBe(1);
    unsubscribe();
    health.set("a", "SERVING");
    expect(seen).toEqual(["SERVING", "NOT_SERVING"]);
    expect(health.listenerCount).toBe(0);
  });

  it("watch() yields the current status, then every change", async () => {
    const health = createHealthStatus();
    const ac = new AbortController();
    const it = health.watch("a", ac.signal)[Symbol.asyncIterator]();
    expect(await take(it, 1)).toEqual(["SERVICE_UNKNOWN"]);
    health.set("a", "SERVING");
    health.set("a", "NOT_SERVING");
    health.set("a", "SERVING");
    expect(await take(it, 3)).toEqual(["SERVING", "NOT_SERVING", "SERVING"]);
    ac.abort();
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(health.listenerCount).toBe(0);
  });

  it("watch() removes its listener when the reader stops early", async () => {
    const health = createHealthStatus();
    health.set("a", "SERVING");
    for await (const status of health.watch("a", new AbortController().signal)) {
      expect(status).toBe("SERVING");
      break;
    }
    expect(health.listenerCount).toBe(0);
  });

  it("shutdown() sets everything NOT_SERVING, ends watches after that, and ignores later sets", async () => {
    const health = createHealthStatus();
    health.set("", "SERVING");
    health.set("a", "SERVING");
    const it = health.watch("a", new AbortController().signal)[Symbol.asyncIterator]();
    expect(await take(it, 1)).toEqual(["SERVING"]);
    health.shutdown();
    expect(health.isShutdown).toBe(true);
    expect(health.get("")).toBe("NOT_SERVING");
    expect(await take(it, 2)).toEqual(["NOT_SERVING"]);
    expect(health.listenerCount).toBe(0);
    health.set("a", "SERVING");
    expect(health.get("a")).toBe("NOT_SERVING");
    // A watch that starts after shutdown sees the final status and ends.
    expect(await take(health.watch("a", new AbortController().signal)[Symbol.asyncIterator](), 2)).toEqual(["NOT_SERVING"]);
  });
});
