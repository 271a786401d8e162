import type { Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { collectDefaultMetrics, Registry } from "prom-client";
import type { NodeRequest, NodeResponse } from "../http/write-rpc-error.js";
import { createCallLog, logUnexpectedError } from "./call-log.js";
import { createMetricsEndpoint } from "./metrics-endpoint.js";
import { createObserveCallsInterceptor } from "./observe-calls-interceptor.js";
import type { CallObserver } from "./observed-call.js";
import { createRpcMetrics } from "./rpc-metrics.js";

/** Options of {@link createObservability}. */
export interface ObservabilityOptions {
  /** Where call lines and unexpected errors go; false for no logging. */
  logger: Logger | false;
  /**
   * true: a new registry with the RPC metrics and Node's process metrics. A `Registry`:
   * the RPC metrics are added to it, and nothing else. false: no metrics.
   */
  metrics: boolean | Registry;
  /** Also told about unexpected handler errors (besides the logger). */
  onUnexpectedError?: ((error: unknown, procedure: string) => void) | undefined;
  /** Let the call log write its lines straight to pino's stream (pino's symbols; see `CallLogOptions.direct`). Default true. */
  directCallLog?: boolean;
}

/** What a server wires in: see {@link createObservability}. */
export interface Observability {
  /** Interceptors to run first (outermost); empty when there is nothing to observe. */
  readonly interceptors: readonly Interceptor[];
  /** For the error boundary; undefined leaves its default (console.error). */
  readonly onUnexpectedError: ((error: unknown, procedure: string) => void) | undefined;
  /** Answers `GET /metrics` and returns true; returns false for every other request. */
  readonly serveMetrics: (req: NodeRequest, res: NodeResponse) => boolean;
  /** The metrics registry, when metrics are on. */
  readonly registry: Registry | undefined;
}

/**
 * Builds a server's logging and metrics once: the call-observing interceptor feeding the
 * call log and the Prometheus metrics, the `/metrics` route, and the unexpected-error
 * reporter.
 *
 * @example
 * const observability = createObservability({ logger: pino(), metrics: true });
 * // interceptors: [...observability.interceptors, errorBoundary, …]
 * // request handler: if (observability.serveMetrics(req, res)) return;
 */
export function createObservability(options: ObservabilityOptions): Observability {
  const observers: CallObserver[] = [];
  let registry: Registry | undefined;
  if (options.metrics !== false) {
    if (options.metrics === true) {
      // A registry of our own, not prom-client's global one: several servers in one
      // process (tests, embedding) must not collide on metric names.
      registry = new Registry();
      collectDefaultMetrics({ register: registry });
    } else {
      registry = options.metrics;
    }
    observers.push(createRpcMetrics(registry));
  }
  if (options.logger) {
    observers.push(createCallLog(options.logger, options.directCallLog === false ? { direct: false } : {}));
  }

  const reporters = [
    ...(options.logger ? [logUnexpectedError(options.logger)] : []),
    ...(options.onUnexpectedError ? [options.onUnexpectedError] : []),
  ];
  const [onlyReporter] = reporters;
  const onUnexpectedError =
    reporters.length > 1
      ? (error: unknown, procedure: string) => {
          for (const report of reporters) report(error, procedure);
        }
      : onlyReporter;

  return {
    interceptors: observers.length > 0 ? [createObserveCallsInterceptor(observers)] : [],
    onUnexpectedError,
    serveMetrics: registry ? createMetricsEndpoint(registry) : () => false,
    registry,
  };
}
