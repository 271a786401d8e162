/**
 * The channel over stand-ins for connect's session manager: one with the private methods
 * the channel watches, one without (the polling fallback). The real Http2SessionManager
 * over real sockets is in client.integration.test.ts.
 */
import type { Http2SessionState } from "./channel-state.js";
import { createClientChannel } from "./create-client-channel.js";

/** The public surface of a session manager, with a state the test sets. */
class StandInManager {
  s: Http2SessionState = "closed";
  state() {
    return this.s;
  }
  error() {
    return this.s === "error" ? new Error("refused") : undefined;
  }
  async connect(): Promise<"open" | "idle" | "error"> {
    return "idle";
  }
  abort() {
    this.s = "closed";
  }
}

/** Also has the private methods connect's manager changes its state through. */
class WatchableManager extends StandInManager {
  setState(s: Http2SessionState) {
    this.s = s;
  }
  verify(): Promise<void> {
    return Promise.resolve();
  }
}

describe("createClientChannel()", () => {
  it("reports each change of state to listeners, as it happens", () => {
    const manager = new WatchableManager();
    const channel = createClientChannel(manager);
    const changes: string[] = [];
    const stop = channel.onStateChange((state, previous) => changes.push(`${previous}→${state}`));
    manager.setState("connecting");
    manager.setState("idle");
    manager.setState("open"); // still "open" for the channel: no event
    manager.setState("error");
    stop();
    manager.setState("closed");
    expect(changes).toEqual(["idle→connecting", "connecting→open", "open→error"]);
  });

  it("falls back to polling when the session manager cannot be watched", async () => {
    const manager = new StandInManager();
    const channel = createClientChannel(manager);
    const reached = channel.waitForState("open", { timeoutMs: 2_000 });
    manager.s = "idle";
    expect(await reached).toBe("open");
  });

  it("resolves waitForState() at once when the state is already there", async () => {
    const channel = createClientChannel(new StandInManager());
    expect(await channel.waitForState(["open", "idle"])).toBe("idle");
  });

  it("rejects waitForState() with DEADLINE_EXCEEDED after timeoutMs, and CANCELED on abort", async () => {
    const channel = createClientChannel(new WatchableManager());
    await expect(channel.waitForState("open", { timeoutMs: 20 })).rejects.toThrow(
      "[deadline_exceeded] channel did not reach open within 20 ms (it is idle)",
    );
    await expect(channel.waitForState("open", { signal: AbortSignal.abort() })).rejects.toThrow(/\[canceled\]/);
    const controller = new AbortController();
    const waiting = channel.waitForState("open", { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toThrow(/\[canceled\]/);
  });

  it("keeps the connection working when a listener throws, and reports the error asynchronously", async () => {
    const manager = new WatchableManager();
    const channel = createClientChannel(manager);
    const seen: string[] = [];
    channel.onStateChange(() => {
      throw new Error("listener bug");
    });
    channel.onStateChange((state) => seen.push(state));
    const reported = new Promise<unknown>((resolve) => {
      const original = globalThis.queueMicrotask;
      globalThis.queueMicrotask = (callback) => {
        globalThis.queueMicrotask = original;
        try {
          callback();
        } catch (e) {
          resolve(e);
        }
      };
    });
    manager.setState("connecting");
    expect(manager.state()).toBe("connecting");
    expect(seen).toEqual(["connecting"]);
    expect(String(await reported)).toContain("listener bug");
  });

  it("closes the connection and reports idle", () => {
    const manager = new WatchableManager();
    manager.s = "idle";
    const channel = createClientChannel(manager);
    expect(channel.state()).toBe("open");
    channel.close();
    expect(channel.state()).toBe("idle");
  });
});
