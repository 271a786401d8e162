import type { Http2SessionManager } from "@connectrpc/connect-node";

/**
 * The state of a client's HTTP/2 connection, in the terms of gRPC's connectivity states:
 *
 * - `"idle"`: no connection; the next call opens one.
 * - `"connecting"`: a connection is being opened, or an unused one is being checked with
 *   a PING before a call goes out on it.
 * - `"open"`: connected; calls go out at once (with or without calls in flight).
 * - `"error"`: the last connection failed (unreachable, reset, PING timeout); the next
 *   call tries again.
 */
export type ChannelState = "idle" | "connecting" | "open" | "error";

/** What `Http2SessionManager.state()` returns. */
export type Http2SessionState = ReturnType<Http2SessionManager["state"]>;

/**
 * Maps connect's connection state onto {@link ChannelState}:
 *
 * | `Http2SessionManager.state()` | channel state |
 * | --- | --- |
 * | `"closed"` (never opened, closed, or closed by the client) | `"idle"` |
 * | `"connecting"`, `"verifying"` (PING before reusing a quiet connection) | `"connecting"` |
 * | `"open"` (streams in flight), `"idle"` (connected, no streams) | `"open"` |
 * | `"error"` | `"error"` |
 *
 * connect's "idle" is a connected session without streams — still open, in gRPC's terms —
 * while gRPC's IDLE means no connection at all, which is connect's "closed".
 */
export function channelStateOf(state: Http2SessionState): ChannelState {
  switch (state) {
    case "closed":
      return "idle";
    case "connecting":
    case "verifying":
      return "connecting";
    case "open":
    case "idle":
      return "open";
    case "error":
      return "error";
  }
}
