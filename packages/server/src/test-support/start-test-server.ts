import { createHelloServer, type HelloServer, type HelloServerOptions } from "../server.js";
import type { GreetingEnd } from "../hello/greeter.js";

/** What the greeter did, as seen from inside the server. */
export interface ServerEvents {
  replies: { method: string; count: number }[];
  ends: { method: string; end: GreetingEnd; replies: number }[];
  unexpected: unknown[];
  /** Resolves with the next stream end of `method`. */
  nextEnd(method: string): Promise<{ end: GreetingEnd; replies: number }>;
}

/**
 * Starts a real server on 127.0.0.1 and a free port, recording the greeter's events so
 * tests can see on the server side whether work went on or stopped.
 */
export async function startTestServer(options: HelloServerOptions = {}): Promise<{ server: HelloServer; events: ServerEvents }> {
  const waiters: { method: string; resolve: (e: { end: GreetingEnd; replies: number }) => void }[] = [];
  const events: ServerEvents = {
    replies: [],
    ends: [],
    unexpected: [],
    nextEnd(method) {
      return new Promise((resolve) => waiters.push({ method, resolve }));
    },
  };
  const server = createHelloServer({
    port: 0,
    host: "127.0.0.1",
    corsOrigins: ["http://playground.test"],
    onUnexpectedError: (error) => events.unexpected.push(error),
    ...options,
    greeter: {
      observer: {
        replied: (method, count) => events.replies.push({ method, count }),
        ended: (method, end, replies) => {
          events.ends.push({ method, end, replies });
          const i = waiters.findIndex((w) => w.method === method);
          if (i >= 0) waiters.splice(i, 1)[0]?.resolve({ end, replies });
        },
      },
      ...options.greeter,
    },
  });
  await server.listen();
  return { server, events };
}
