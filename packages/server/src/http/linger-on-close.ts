import type * as net from "node:net";
import { UNREAD_REQUEST_GRACE_MS } from "./release-unread-request.js";

/**
 * Makes node:http close `socket` gently after a `connection: close` response whose request
 * is still arriving (answered early, e.g. a message over the size limit): the response is
 * followed by FIN, the rest of the request is still read (and dropped by node:http), and
 * the socket closes once the client has ended its side too, or is destroyed after
 * {@link UNREAD_REQUEST_GRACE_MS}. This is the "lingering close" of RFC 9112 §9.6: closing
 * a socket with unread input makes the kernel send RST, and a client still writing its
 * upload then fails with a broken pipe and may lose the answer it had not read yet.
 *
 * How: node:http ends a `connection: close` exchange with `socket.destroySoon()` (FIN, then
 * destroy as soon as it is written) when the socket has that method, else with
 * `socket.end()`; this socket's own `destroySoon` does the gentle version. Without the
 * method (a future Node) nothing is changed and node:http's `end()` is gentle already.
 */
export function lingerOnClose(socket: net.Socket): void {
  const target = socket as net.Socket & { destroySoon?: () => void };
  if (typeof target.destroySoon !== "function" || Object.hasOwn(target, "destroySoon")) return;
  target.destroySoon = function lingeringClose(this: net.Socket) {
    if (this.destroyed) return;
    const timer = setTimeout(() => this.destroy(), UNREAD_REQUEST_GRACE_MS);
    timer.unref();
    this.once("close", () => clearTimeout(timer));
    // Once the client ends its side too, the socket destroys itself (autoDestroy).
    this.end();
  };
}
