import { ConnectError } from "@connectrpc/connect";
import { REQUEST_ID_HEADER } from "../create-client-interceptors.js";

/**
 * The request id of a call, from its response headers (`onHeader`) or from the error it
 * failed with: the hello server answers every call, errors included, with the
 * `x-request-id` it was sent (or one it made). Undefined when there is none — e.g. the
 * server was never reached.
 *
 * @example
 * try { await client.sayHello(req); } catch (e) { log.error({ requestId: requestIdOf(e) }, "failed"); }
 */
export function requestIdOf(source: Headers | unknown): string | undefined {
  const headers = source instanceof Headers ? source : source instanceof ConnectError ? source.metadata : undefined;
  return headers?.get(REQUEST_ID_HEADER) ?? undefined;
}
