import * as http2 from "node:http2";
import type * as net from "node:net";
import { createContextKey } from "@connectrpc/connect";
import type { NodeRequest } from "../http/write-rpc-error.js";

/** The HTTP connection a call came over, as seen when its request arrived. */
export interface ConnectionInfo {
  /** "1.1" or "2". */
  readonly httpVersion: string;
  /** The peer's IP address, undefined when the socket was already gone. */
  readonly remoteAddress: string | undefined;
  /** The peer's TCP port. */
  readonly remotePort: number | undefined;
  /**
   * True once the connection is gone (the peer hung up, or it was closed); undefined when
   * not known. A call that ends while its connection is gone was cancelled by the client's
   * going away, whatever error the transport raised.
   */
  readonly closed?: boolean;
}

/** The facts of one HTTP/1.1 connection, or of one HTTP/2 session (its calls share them). */
class SocketConnectionInfo implements ConnectionInfo {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  constructor(
    readonly httpVersion: string,
    private readonly transport: { readonly destroyed: boolean },
    socket: net.Socket | undefined,
  ) {
    this.remoteAddress = socket?.remoteAddress;
    this.remotePort = socket?.remotePort;
  }
  get closed(): boolean {
    return this.transport.destroyed;
  }
}

/**
 * Context key under which interceptors and handlers find the call's {@link ConnectionInfo};
 * undefined for calls that did not come through the Node adapter (in-memory transports).
 */
export const connectionInfoKey = createContextKey<ConnectionInfo | undefined>(undefined, {
  description: "HTTP connection",
});

/**
 * Reads the connection facts of a Node request. Read eagerly, while the socket is open:
 * once an HTTP/2 stream or HTTP/1.1 socket has closed, Node may no longer know the peer.
 */
export function connectionInfoOf(req: NodeRequest): ConnectionInfo {
  if (req instanceof http2.Http2ServerRequest) return sessionConnectionInfoOf(req.stream.session);
  // An HTTP/1.1 connection's requests share its facts, read once, as a session's streams do.
  const socket = req.socket;
  let info = bySocket.get(socket);
  if (info === undefined || info.httpVersion !== req.httpVersion) {
    info = new SocketConnectionInfo(req.httpVersion, socket, socket);
    if (info.remoteAddress !== undefined) bySocket.set(socket, info);
  }
  return info;
}

const bySocket = new WeakMap<net.Socket, ConnectionInfo>();

const bySession = new WeakMap<http2.Http2Session, ConnectionInfo>();

/**
 * The connection facts of an HTTP/2 session, read once per session: every stream on it
 * shares them, and reading them goes through Node's socket proxy (several property traps).
 */
export function sessionConnectionInfoOf(session: http2.Http2Session | undefined): ConnectionInfo {
  let info = session === undefined ? undefined : bySession.get(session);
  if (info === undefined) {
    info = new SocketConnectionInfo("2", session ?? GONE, session?.socket);
    // Only a complete answer is kept: a closing socket may not know its peer any more.
    if (session !== undefined && info.remoteAddress !== undefined) bySession.set(session, info);
  }
  return info;
}

/** A stream without a session: its connection is gone. */
const GONE = { destroyed: true } as const;

/** "address:port" (IPv6 in brackets), or undefined when the address is unknown. */
export function peerOf(info: ConnectionInfo): string | undefined {
  const { remoteAddress: address, remotePort: port } = info;
  if (address === undefined) {
    return undefined;
  }
  const host = address.includes(":") ? `[${address}]` : address;
  return port === undefined ? host : `${host}:${port}`;
}
