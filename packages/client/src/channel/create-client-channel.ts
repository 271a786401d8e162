import { Code, ConnectError } from "@connectrpc/connect";
import type { Http2SessionManager } from "@connectrpc/connect-node";
import { type ChannelState, channelStateOf } from "./channel-state.js";

/** Called with the new state and the one before, on every change. */
export type ChannelStateListener = (state: ChannelState, previous: ChannelState) => void;

/** Options of {@link ClientChannel.waitForState}. */
export interface WaitForStateOptions {
  /** Stop waiting (CANCELED) when this aborts. */
  signal?: AbortSignal;
  /** Stop waiting (DEADLINE_EXCEEDED) after this many milliseconds. Default: no limit. */
  timeoutMs?: number;
}

/** A client's HTTP/2 connection (Node): its state, changes of state, and control. */
export interface ClientChannel {
  /** The current state; see {@link ChannelState} and {@link channelStateOf}. */
  state(): ChannelState;
  /** Why the channel is in `"error"`, else undefined. */
  error(): unknown;
  /**
   * Calls `listener` on every change of state, until the returned function is called.
   * A listener that throws does not disturb the connection; its error is rethrown
   * asynchronously, like an EventTarget listener's.
   */
  onStateChange(listener: ChannelStateListener): () => void;
  /**
   * Resolves with the state once it is `target` (or one of them) — at once if it already
   * is. Rejects with CANCELED when `signal` aborts, DEADLINE_EXCEEDED after `timeoutMs`.
   */
  waitForState(target: ChannelState | readonly ChannelState[], options?: WaitForStateOptions): Promise<ChannelState>;
  /** Opens the connection now instead of on the first call; resolves with the state reached. */
  connect(): Promise<ChannelState>;
  /** Closes the connection and its calls (CANCELED); the next call opens a new one. */
  close(): void;
}

/** Only what the channel uses of connect's session manager. */
type SessionManager = Pick<Http2SessionManager, "state" | "error" | "connect" | "abort">;

/** How often to look at the state when the session manager cannot be observed. */
const POLL_INTERVAL_MS = 50;

/**
 * Wraps connect's `Http2SessionManager` as a {@link ClientChannel}.
 *
 * connect has no event for state changes, so we watch the two private methods every change
 * goes through — `setState` (closed, connecting, ready, error) and `verify` (the PING check
 * of a quiet connection) — and compare the mapped state after each call. This is precise
 * and costs nothing when nobody listens. Should a connect release rename them, the channel
 * falls back to polling `state()` every 50 ms while someone listens (a tested path), so a
 * change of connect's internals degrades timing, never correctness.
 *
 * @example
 * const channel = createClientChannel(new Http2SessionManager(baseUrl));
 * channel.onStateChange((state) => console.log("channel", state));
 * await channel.waitForState("open", { timeoutMs: 1_000 });
 */
export function createClientChannel(manager: SessionManager): ClientChannel {
  const listeners = new Set<ChannelStateListener>();
  let last = channelStateOf(manager.state());
  let poll: ReturnType<typeof setInterval> | undefined;

  const check = () => {
    const now = channelStateOf(manager.state());
    if (now === last) return;
    const previous = last;
    last = now;
    for (const listener of [...listeners]) {
      try {
        listener(now, previous);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  };

  const observed = hookStateChanges(manager, check);

  const channel: ClientChannel = {
    state: () => channelStateOf(manager.state()),
    error: () => manager.error(),
    onStateChange(listener) {
      // Start from the state now, so the first event is a real change.
      if (listeners.size === 0) last = channelStateOf(manager.state());
      listeners.add(listener);
      if (!observed && poll === undefined) {
        poll = setInterval(check, POLL_INTERVAL_MS);
        poll.unref?.();
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && poll !== undefined) {
          clearInterval(poll);
          poll = undefined;
        }
      };
    },
    waitForState(target, options = {}) {
      const targets: readonly ChannelState[] = typeof target === "string" ? [target] : target;
      return new Promise((resolve, reject) => {
        const current = channel.state();
        if (targets.includes(current)) {
          resolve(current);
          return;
        }
        if (options.signal?.aborted) {
          reject(ConnectError.from(options.signal.reason, Code.Canceled));
          return;
        }
        const finish = (settle: () => void) => {
          unsubscribe();
          clearTimeout(timer);
          options.signal?.removeEventListener("abort", onAbort);
          settle();
        };
        const unsubscribe = channel.onStateChange((state) => {
          if (targets.includes(state)) finish(() => resolve(state));
        });
        const onAbort = () => finish(() => reject(ConnectError.from(options.signal?.reason, Code.Canceled)));
        options.signal?.addEventListener("abort", onAbort, { once: true });
        const timer =
          options.timeoutMs === undefined
            ? undefined
            : setTimeout(
                () =>
                  finish(() =>
                    reject(
                      new ConnectError(
                        `channel did not reach ${targets.join(" or ")} within ${options.timeoutMs} ms (it is ${channel.state()})`,
                        Code.DeadlineExceeded,
                      ),
                    ),
                  ),
                options.timeoutMs,
              );
      });
    },
    async connect() {
      await manager.connect();
      check();
      return channel.state();
    },
    close() {
      manager.abort();
      check();
    },
  };
  return channel;
}

/**
 * Runs `onChange` after each call of the session manager's private `setState` and `verify`
 * (and when a verification settles). Returns false when they are not there to watch.
 */
function hookStateChanges(manager: SessionManager, onChange: () => void): boolean {
  const internals = manager as unknown as Record<string, unknown>;
  const setState = internals["setState"];
  const verify = internals["verify"];
  if (typeof setState !== "function" || typeof verify !== "function") {
    return false;
  }
  internals["setState"] = function (this: unknown, ...args: unknown[]) {
    const result: unknown = setState.apply(this, args);
    onChange();
    return result;
  };
  internals["verify"] = function (this: unknown, ...args: unknown[]) {
    const result: unknown = verify.apply(this, args);
    onChange();
    if (result instanceof Promise) {
      // After verification, connect either keeps the connection or calls setState.
      void result.then(onChange, onChange);
    }
    return result;
  };
  return true;
}

/** @deprecated Renamed: use {@link ClientChannel}. */
export type HelloChannel = ClientChannel;

/** @deprecated Renamed: use {@link createClientChannel}. */
export const createHelloChannel = createClientChannel;
