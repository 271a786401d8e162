import { createHelloServer, readEnv, serverOptionsFromEnv } from "@hello/server";
import { ALL_HTTP_VERSIONS, BENCH_ORIGIN } from "../workloads.js";
import type { RunningServerVariant, ServerVariantOptions } from "./server-variant.js";

/** The shipped server with its fast path off: every call through connect-node. */
export const label = "@hello/server as shipped, fast path off (all calls via connect-node)";

/** HTTP/2 (h2c) and HTTP/1.1 on one port, as `main.ts` serves them. */
export const httpVersions = ALL_HTTP_VERSIONS;
/** Started with the bench's origin allowed, as a deployment serving browsers is. */
export const cors = true;

/** As `shipped`, with `fastPath: false`: shows what the fast path gains, and what connect-node costs. */
export async function start(port: number, { host }: ServerVariantOptions): Promise<RunningServerVariant> {
  const server = createHelloServer({ ...serverOptionsFromEnv(readEnv({ CORS_ORIGINS: BENCH_ORIGIN })), port, host, fastPath: false });
  const bound = await server.listen();
  return { port: bound, close: () => server.close(1_000) };
}
