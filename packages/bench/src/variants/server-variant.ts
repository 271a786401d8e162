import type { HttpVersion, Protocol } from "../workloads.js";

/** What the bench passes to a variant's `start`. */
export interface ServerVariantOptions {
  /** Interface to bind; the bench uses 127.0.0.1. */
  host: string;
}

/** A started variant. */
export interface RunningServerVariant {
  /** The bound port (the bench asks for port 0, any free port). */
  port: number;
  /** Stops the server; the process exits right after. */
  close(): Promise<void>;
}

/**
 * The contract of a server variant module, which the bench runs alone in a child process
 * pinned to one CPU (see `variant-process.ts`). To compare a new variant (say, a gRPC fast
 * path), add a file under `src/variants/` that exports these and list it in
 * `variants/index.ts`:
 *
 * @example
 * export const label = "my fast path";
 * export const protocols = ["grpc"] as const; // optional; default: every protocol
 * export async function start(port: number, { host }: ServerVariantOptions) {
 *   const server = createMyServer();
 *   await listen(server, port, host);
 *   return { port: boundPort(server), close: () => stop(server) };
 * }
 */
export interface ServerVariantModule {
  /** Shown in reports. */
  label: string;
  /** The protocols it serves; workloads of other protocols skip it. Default: all. */
  protocols?: readonly Protocol[];
  /** The HTTP versions it serves on its one port; workloads of others skip it. Default: HTTP/2 only. */
  httpVersions?: readonly HttpVersion[];
  /** It answers browser calls from `BENCH_ORIGIN` with CORS headers; browser-style workloads skip it otherwise. */
  cors?: boolean;
  start(port: number, options: ServerVariantOptions): Promise<RunningServerVariant>;
}
