import type * as http from "node:http";
import type * as http2 from "node:http2";
import { constants as http2constants } from "node:http2";
import type * as net from "node:net";

/**
 * Limits and timeouts of client connections. Defaults follow what gRPC servers commonly
 * use, and are documented in docs/configuration.md.
 */
export interface ConnectionLimits {
  /**
   * A new connection must send its first request (HTTP/1.1 headers, or the first HTTP/2
   * stream) within this time, else it is closed. Default 10 s.
   */
  firstRequestTimeoutMs: number;
  /** A connection with no call in flight for this long is closed (HTTP/2 with GOAWAY). Default 5 min. */
  idleTimeoutMs: number;
  /** Streams (calls) one HTTP/2 connection may have open at once. Default 1,000. */
  maxConcurrentStreams: number;
  /** Size of all request headers of a call, in bytes. Default 16 KiB. */
  maxHeaderBytes: number;
  /** Number of request headers of a call. Default 100. */
  maxHeaderCount: number;
  /**
   * The server pings every HTTP/2 connection this often, to find dead peers and keep
   * middleboxes from dropping quiet streams. 0 turns pings off. Default 30 s.
   */
  keepaliveIntervalMs: number;
  /** A ping unanswered for this long closes the connection. Default 10 s. */
  keepaliveTimeoutMs: number;
  /**
   * Connections open at once. At the cap, a new connection takes the place of the oldest
   * one that has not sent a request yet or has none in flight (HTTP/1.1), so slow or idle
   * connections cannot lock real clients out; when every connection is busy, the new one is
   * closed. Keep it below the process's file-descriptor limit (`ulimit -n`). Default 10,000.
   */
  maxConnections: number;
  /**
   * HTTP/2 streams a connection may reset (RST_STREAM) before the server has answered them,
   * per {@link streamResetWindowMs}; one more and the connection is closed with GOAWAY
   * ENHANCE_YOUR_CALM: the "rapid reset" attack, CVE-2023-44487. Default 200.
   */
  maxStreamResets: number;
  /** The window of {@link maxStreamResets}. Default 1 s. */
  streamResetWindowMs: number;
}

/** See {@link ConnectionLimits}. */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  firstRequestTimeoutMs: 10_000,
  idleTimeoutMs: 5 * 60_000,
  maxConcurrentStreams: 1_000,
  maxHeaderBytes: 16 * 1024,
  maxHeaderCount: 100,
  keepaliveIntervalMs: 30_000,
  keepaliveTimeoutMs: 10_000,
  maxConnections: 10_000,
  maxStreamResets: 200,
  streamResetWindowMs: 1_000,
};

/** The server's connections: limits applied, calls in flight counted, draining on shutdown. */
export interface ConnectionManager {
  /** Options for `http.createServer`. */
  readonly http1Options: http.ServerOptions;
  /** Options for `http2.createServer` / `createSecureServer`. */
  readonly http2Options: http2.ServerOptions;
  /**
   * Registers the listening server, whose sockets are then tracked: TCP sockets of a
   * cleartext listener, TLS sockets (after the handshake, by ALPN) of a TLS one.
   */
  watchListener(listener: net.Server, tls: boolean): void;
  /** Registers the cleartext HTTP/2 server, to know which sockets it was handed. */
  watchHttp2(server: http2.Http2Server): void;
  /** Registers the HTTP/1.1 server (limits Node only sets on the instance). */
  watchHttp1(server: http.Server): void;
  /** Registers an HTTP/2 session: first-request and idle timeouts, keepalive pings. */
  watchSession(session: http2.ServerHttp2Session): void;
  /** Counts a request until its response is done; called by the request handler. */
  trackRequest(req: { socket: net.Socket | null | undefined }, res: { on(event: "close", cb: () => void): unknown }): void;
  /** True once {@link drain} began. */
  readonly draining: boolean;
  /**
   * Graceful shutdown: stop accepting, send GOAWAY, close idle connections, let calls in
   * flight finish for up to `graceMs`, then call `onGraceOver` (which should end the
   * remaining calls with a clear status), wait `finalMs` for those statuses to go out, and
   * destroy what is left.
   */
  drain(graceMs: number, onGraceOver: () => void, finalMs?: number): Promise<void>;
}

/** What the connection manager knows of a client connection. */
class SocketState {
  inFlight = 0;
  /** Whether a request has arrived on it (HTTP/1.1): the idle timeout applies, not the first-request one. */
  served = false;
  /** When it last had nothing in flight (performance.now()). */
  idleSince = performance.now();
  timer: NodeJS.Timeout | undefined = undefined;
  timerDueAt = 0;
  constructor(public kind: "pending" | "http1" | "http2") {}
}

/** The longest delay setTimeout takes as it is (2^31 - 1 ms, ~24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Creates the connection manager; see {@link ConnectionLimits} for what it enforces. */
export function createConnectionManager(limits: ConnectionLimits): ConnectionManager {
  // "pending": no request yet (or the HTTP/2 preface not yet seen) — nothing in flight.
  // In order of arrival (a Map's order): the oldest idle connection is the first found.
  const sockets = new Map<net.Socket, SocketState>();
  const sessions = new Set<http2.ServerHttp2Session>();
  let listener: net.Server | undefined;
  let draining = false;

  const track = (socket: net.Socket, kind: SocketState["kind"]) => {
    if (sockets.size >= limits.maxConnections && !makeRoom()) {
      socket.destroy();
      return;
    }
    const state = new SocketState(kind);
    sockets.set(socket, state);
    // HTTP/2 sessions have their own timer (watchSession); until a connection is known to be
    // HTTP/2, it must send a whole first request in time.
    if (kind !== "http2") armIdleTimer(socket, state, limits.firstRequestTimeoutMs);
    socket.once("close", () => {
      sockets.delete(socket);
      if (state.timer !== undefined) clearTimeout(state.timer);
    });
  };

  // The first-request and idle timeouts of connections that are not (yet) HTTP/2. Node's
  // `headersTimeout` does not apply to connections handed to an HTTP/1.1 server that never
  // listens itself (its checks start on 'listening'), and its keep-alive timeout is one of
  // inactivity, which a client trickling a byte at a time never reaches.
  const armIdleTimer = (socket: net.Socket, state: SocketState, ms: number) => {
    const delay = Math.max(0, Math.min(ms, MAX_TIMER_MS));
    state.timerDueAt = performance.now() + delay;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      // Busy, or HTTP/2 by now: the end of its last request re-arms it, or the session's own timer rules.
      if (state.inFlight > 0 || state.kind === "http2" || socket.destroyed) return;
      const limit = state.served ? limits.idleTimeoutMs : limits.firstRequestTimeoutMs;
      const left = state.idleSince + limit - performance.now();
      // Not `left <= 0`: a limit that is not a number must close the connection, not re-arm forever.
      if (!(left > 0)) socket.destroy();
      else armIdleTimer(socket, state, left);
    }, delay);
    state.timer.unref();
  };

  // At the connection cap: closes the oldest connection that is not HTTP/2 and has nothing in
  // flight (no first request yet, or idle between requests). False when there is none.
  const makeRoom = (): boolean => {
    for (const [socket, state] of sockets) {
      if (state.kind !== "http2" && state.inFlight === 0) {
        sockets.delete(socket);
        socket.destroy();
        return true;
      }
    }
    return false;
  };

  // HTTP/2 connections drain through GOAWAY; the others can go as soon as nothing is in flight.
  const closeIdleSockets = () => {
    for (const [socket, state] of sockets) {
      if (state.kind !== "http2" && state.inFlight === 0) socket.destroy();
    }
  };

  return {
    http1Options: {
      maxHeaderSize: limits.maxHeaderBytes,
      // Headers must arrive in time; a request body may stream for as long as the call
      // lasts (client streaming over HTTP/1.1), so there is no whole-request timeout.
      headersTimeout: limits.firstRequestTimeoutMs,
      requestTimeout: 0,
      keepAliveTimeout: Math.min(limits.idleTimeoutMs, 2 ** 31 - 1),
    },
    http2Options: {
      maxHeaderListPairs: limits.maxHeaderCount,
      settings: {
        maxConcurrentStreams: limits.maxConcurrentStreams,
        maxHeaderListSize: limits.maxHeaderBytes,
      },
    },

    watchListener(l, tls) {
      listener = l;
      if (tls) {
        l.on("secureConnection", (socket: net.Socket & { alpnProtocol?: string | false }) =>
          track(socket, socket.alpnProtocol === "h2" ? "http2" : "pending"),
        );
      } else {
        l.on("connection", (socket: net.Socket) => track(socket, "pending"));
      }
    },

    watchHttp2(server) {
      server.on("connection", (socket: net.Socket) => {
        const state = sockets.get(socket);
        if (state) state.kind = "http2";
      });
    },

    watchHttp1(server) {
      server.maxHeadersCount = limits.maxHeaderCount;
    },

    watchSession(session) {
      sessions.add(session);

      // The first-request and idle timeouts share one timer, which is not cleared when a
      // stream opens but re-checks the session when it fires: a busy connection's streams
      // come and go in bursts (all its calls end, new ones arrive), and setting and clearing
      // a timer each time was a timer per burst (one per ten calls at 10 calls in flight).
      let open = 0;
      let seenStream = false;
      // When the session last had no stream open (performance.now()).
      let idleSince = performance.now();
      let timer: NodeJS.Timeout | undefined;
      let timerDueAt = 0;
      const arm = (ms: number) => {
        // setTimeout fires at once for delays over 2^31 - 1 ms; a longer wait is re-armed when it fires.
        const delay = Math.max(0, Math.min(ms, MAX_TIMER_MS));
        timerDueAt = performance.now() + delay;
        timer = setTimeout(onTimer, delay);
        timer.unref();
      };
      const idleLimit = () => (seenStream ? limits.idleTimeoutMs : limits.firstRequestTimeoutMs);
      function onTimer() {
        timer = undefined;
        // Busy: the next time its last stream closes arms the timer again.
        if (open > 0 || session.closed || session.destroyed) return;
        const left = idleSince + idleLimit() - performance.now();
        // Not `left <= 0`: a limit that is not a number must close the session, not re-arm forever.
        if (!(left > 0)) session.close();
        else arm(left);
      }
      arm(limits.firstRequestTimeoutMs);

      // The stream-reset budget (rapid reset, CVE-2023-44487): streams that closed before the
      // server sent their response headers, in a fixed window. The same count as Node's own
      // defence (nghttp2's, 1,000 at once then 33 a second, answered with INTERNAL_ERROR) but
      // a smaller budget and the GOAWAY code RFC 9113 names for it, as grpc-go and Envoy send.
      let resets = 0;
      let resetWindowStart = 0;
      const onUnansweredClose = () => {
        if (session.destroyed || session.closed) return; // the whole connection is going away
        const now = performance.now();
        if (now - resetWindowStart >= limits.streamResetWindowMs) {
          resetWindowStart = now;
          resets = 0;
        }
        if (++resets === limits.maxStreamResets + 1) {
          // goaway() first: destroy(undefined, code) sends GOAWAY with NO_ERROR on Node 22-26;
          // destroy() on a later turn: at once, the GOAWAY may never be written.
          session.goaway(http2constants.NGHTTP2_ENHANCE_YOUR_CALM);
          setImmediate(() => session.destroy());
        }
      };

      const onStreamClose = function (this: http2.ServerHttp2Stream) {
        if (!this.headersSent) onUnansweredClose();
        open--;
        if (open > 0 || session.closed || session.destroyed) return;
        idleSince = performance.now();
        // A timer due later than this idle period ends (a first-request timeout longer than
        // the idle one) is replaced; an earlier one re-arms itself for the rest when it fires.
        if (timer !== undefined && timerDueAt <= idleSince + limits.idleTimeoutMs) return;
        if (timer !== undefined) clearTimeout(timer);
        arm(limits.idleTimeoutMs);
      };
      session.on("stream", (stream) => {
        open++;
        seenStream = true;
        // `on`, not `once`: a stream closes once, and once() wraps the listener per stream.
        stream.on("close", onStreamClose);
      });

      let pinger: NodeJS.Timeout | undefined;
      if (limits.keepaliveIntervalMs > 0) {
        pinger = setInterval(() => {
          if (session.closed || session.destroyed) return;
          const timeout = setTimeout(() => session.destroy(), limits.keepaliveTimeoutMs);
          timeout.unref();
          const sent = session.ping((err) => {
            clearTimeout(timeout);
            if (err && !session.destroyed) session.destroy();
          });
          if (!sent) clearTimeout(timeout); // too many pings in flight: try again next time
        }, limits.keepaliveIntervalMs);
        pinger.unref();
      }
      session.once("close", () => {
        sessions.delete(session);
        if (timer !== undefined) clearTimeout(timer);
        if (pinger) clearInterval(pinger);
      });
      // Session errors (a peer that vanished, a protocol error) close it; they are not ours to crash on.
      session.on("error", () => session.destroy());
    },

    trackRequest(req, res) {
      const state = req.socket ? sockets.get(req.socket) : undefined;
      if (!state || state.kind === "http2") return;
      state.kind = "http1";
      state.served = true;
      state.inFlight++;
      // `on`, not `once`: a response closes once, and once() wraps every listener (per request).
      res.on("close", () => {
        state.inFlight--;
        if (state.inFlight > 0) return;
        if (draining) {
          req.socket?.destroy();
          return;
        }
        state.idleSince = performance.now();
        // A timer due no later than this idle period ends re-arms itself for the rest when it fires.
        if (state.timer !== undefined && state.timerDueAt <= state.idleSince + limits.idleTimeoutMs) return;
        if (state.timer !== undefined) clearTimeout(state.timer);
        if (req.socket) armIdleTimer(req.socket, state, limits.idleTimeoutMs);
      });
    },

    get draining() {
      return draining;
    },

    async drain(graceMs, onGraceOver, finalMs = 1_000) {
      draining = true;
      const closed = new Promise<void>((resolve) => {
        if (!listener?.listening) resolve();
        else listener.close(() => resolve());
      });
      // GOAWAY: no new streams on HTTP/2 connections; open streams may finish.
      for (const session of sessions) session.close();
      closeIdleSockets();

      const within = (ms: number) =>
        Promise.race([closed.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref())]);
      if (await within(graceMs)) return;
      onGraceOver();
      if (await within(finalMs)) return;
      for (const session of sessions) session.destroy();
      for (const socket of sockets.keys()) socket.destroy();
      await closed;
    },
  };
}
