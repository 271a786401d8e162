import { createHelloServer, readEnv, serverOptionsFromEnv } from "@hello/server";
import type { RunningServerVariant, ServerVariantOptions } from "./server-variant.js";

/** The shipped server with its fast path off: every call through connect-node. */
export const label = "@hello/server as shipped, fast path off (all calls via connect-node)";

/** As `shipped`, with `fastPath: false`: shows what the fast path gains, and what connect-node costs. */
export async function start(port: number, { host }: ServerVariantOptions): Promise<RunningServerVariant> {
  const server = createHelloServer({ ...serverOptionsFromEnv(readEnv({})), port, host, fastPath: false });
  const bound = await server.listen();
  return { port: bound, close: () => server.close(1_000) };
}
