import { createHelloServer } from "@hello/server";
import type { RunningServerVariant, ServerVariantOptions } from "./server-variant.js";

/** Our server exactly as `createHelloServer()` builds it: every built-in interceptor and extra. */
export const label = "@hello/server as shipped";

/**
 * `createHelloServer` with its defaults, as `main.ts` builds it with an empty environment:
 * one cleartext port for HTTP/1.1 and h2c, request ids, validation, error boundary,
 * compression offers, reserved-metadata guard (CORS only answers configured origins).
 */
export async function start(port: number, { host }: ServerVariantOptions): Promise<RunningServerVariant> {
  const server = createHelloServer({ port, host });
  const bound = await server.listen();
  return { port: bound, close: () => server.close(1_000) };
}
