import type { Registry } from "prom-client";
import type { NodeRequest, NodeResponse } from "../http/write-rpc-error.js";

/** Where Prometheus scrapes the metrics. */
export const METRICS_PATH = "/metrics";

/**
 * Serves `registry` in the Prometheus text format at `GET /metrics`. Returns a function
 * for the front of a request handler: it answers and returns true for that route, and
 * returns false at once for anything else (RPCs are POSTs, or GETs to a method path).
 */
export function createMetricsEndpoint(registry: Registry): (req: NodeRequest, res: NodeResponse) => boolean {
  return (req, res) => {
    if (req.method !== "GET" || !isMetricsPath(req.url)) {
      return false;
    }
    registry.metrics().then(
      (body) => {
        res.setHeader("content-type", registry.contentType);
        res.end(body);
      },
      (error: unknown) => {
        res.statusCode = 500;
        res.setHeader("content-type", "text/plain; charset=utf-8");
        res.end(`collecting metrics failed: ${error instanceof Error ? error.message : String(error)}\n`);
      },
    );
    return true;
  };
}

function isMetricsPath(url: string | undefined): boolean {
  return url === METRICS_PATH || url?.startsWith(`${METRICS_PATH}?`) === true;
}
