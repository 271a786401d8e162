/**
 * Where an example sends its calls: the server at `HELLO_URL` when that is set (e.g. one
 * started with `pnpm start`), else a hello server of its own on 127.0.0.1, port 0, which
 * `close()` shuts down. The one place the examples read the environment.
 *
 * @example
 * const server = await startOrConnect();
 * const client = createHelloClient({ baseUrl: server.url, protocol: "grpc" });
 * // …
 * client.close();
 * await server.close();
 */
import { createHelloServer } from "@hello/server";

/** The server an example talks to. */
export interface ExampleServer {
  /** Base URL for clients, e.g. "http://127.0.0.1:40123". */
  readonly url: string;
  /** Shuts the example's own server down; does nothing for `HELLO_URL`. */
  close(): Promise<void>;
}

/** Connects to `HELLO_URL` when it is set, else starts a hello server on a free port. */
export async function startOrConnect(): Promise<ExampleServer> {
  const given = process.env["HELLO_URL"];
  if (given !== undefined && given !== "") {
    const url = new URL(given); // Throws, naming the value, when HELLO_URL is not a URL.
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new Error(`HELLO_URL must be an http:// or https:// URL, got "${given}"`);
    }
    return { url: given.replace(/\/+$/, ""), close: async () => {} };
  }
  const server = createHelloServer({ port: 0, host: "127.0.0.1" });
  await server.listen();
  return { url: server.url, close: () => server.close(1_000) };
}
