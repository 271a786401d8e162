/**
 * A small connect server on 127.0.0.1, port 0, for tests of the client factories with
 * services other than HelloService: the same routes over an HTTP/1.1 server and an h2c
 * (HTTP/2 cleartext) server, since Node serves cleartext HTTP/2 without HTTP/1.1 fallback.
 */
import * as http from "node:http";
import * as http2 from "node:http2";
import type * as net from "node:net";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";

/** The two servers and how to stop them. */
export interface TestServices {
  /** Base URL of the HTTP/1.1 server. */
  readonly http1Url: string;
  /** Base URL of the HTTP/2 (h2c) server. */
  readonly http2Url: string;
  /** Closes both servers and every connection they hold. */
  close(): Promise<void>;
}

/** Starts `routes` on two port-0 servers; `interceptors` run on every call. */
export async function startTestServices(routes: (router: ConnectRouter) => void, interceptors: Interceptor[] = []): Promise<TestServices> {
  const handler = connectNodeAdapter({ routes, interceptors });
  const h1 = http.createServer(handler);
  const h2 = http2.createServer(handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  const listen = (server: net.Server) =>
    new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)));
  const [port1, port2] = await Promise.all([listen(h1), listen(h2)]);
  return {
    http1Url: `http://127.0.0.1:${port1}`,
    http2Url: `http://127.0.0.1:${port2}`,
    async close() {
      h1.closeAllConnections();
      for (const session of sessions) session.destroy();
      await Promise.all([new Promise((resolve) => h1.close(resolve)), new Promise((resolve) => h2.close(resolve))]);
    },
  };
}
