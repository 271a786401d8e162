/** A server variant the bench can run: its id and the module (under this folder) that starts it. */
export interface VariantEntry {
  /** Stable id, used in results, ratios and on the command line (`--variants`). */
  id: string;
  /** Module file name without extension, next to this file; it must export `start` and `label`. */
  module: string;
  /** The role the headline ratios give it. */
  role: "subject" | "baseline" | "upper-bound";
  /** Not run unless asked for with `--variants` (keeps the default run short). */
  optional?: boolean;
}

/** The id of the reference every ratio is taken against. */
export const BASELINE_ID = "grpc-js";
/** The id of the upper bound (HTTP/2). */
export const UPPER_BOUND_ID = "raw-http2";
/** The id of the HTTP/1.1 upper bound, which HTTP/1.1 workloads are compared with. */
export const RAW_HTTP1_ID = "raw-http1";
/** The id of the server the targets are about. */
export const SHIPPED_ID = "shipped";

/**
 * Every variant, in report order. To compare another server (e.g. a fast path), add its
 * module and one line here.
 */
export const VARIANTS: readonly VariantEntry[] = [
  { id: SHIPPED_ID, module: "hello-server-shipped", role: "subject" },
  { id: "extras-off", module: "hello-server-extras-off", role: "subject" },
  { id: BASELINE_ID, module: "grpc-js", role: "baseline" },
  { id: UPPER_BOUND_ID, module: "raw-http2", role: "upper-bound" },
  { id: RAW_HTTP1_ID, module: "raw-http1", role: "upper-bound" },
  { id: "fast-path-off", module: "hello-server-fast-path-off", role: "subject", optional: true },
  { id: "connect-bare", module: "connect-node-bare", role: "subject", optional: true },
];
