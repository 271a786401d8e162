import type { DescMethod } from "@bufbuild/protobuf";
import { Counter, type Registry } from "prom-client";
import type { RpcProtocol } from "../http/write-rpc-error.js";
import { type CallObserver, callTypeOf, codeNameOf, type ObservedCall } from "./observed-call.js";
import { createSeriesHistogram, type HistogramSeries } from "./series-histogram.js";

/** The buckets of `grpc_server_handling_seconds`: Go's `prometheus.DefBuckets`, as go-grpc-middleware uses. */
const HANDLING_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Prometheus metrics of the calls a server handles, with the names and labels of
 * grpc-ecosystem/go-grpc-middleware's `providers/prometheus` server metrics (so existing
 * gRPC dashboards and alerts work), plus a `protocol` label: grpc, grpc-web or connect.
 *
 * - `grpc_server_started_total` — calls started
 * - `grpc_server_handled_total` — calls ended, by `grpc_code` ("OK", "InvalidArgument", …)
 * - `grpc_server_handling_seconds` — histogram of call durations (default buckets, as Go's)
 * - `grpc_server_msg_received_total` / `grpc_server_msg_sent_total` — messages read / produced
 *
 * Every series also has `grpc_type` (unary, client_stream, server_stream, bidi_stream),
 * `grpc_service` (e.g. hello.v1.HelloService) and `grpc_method` (e.g. SayHello).
 */
export interface RpcMetrics extends CallObserver {
  /** The registry the metrics are registered in. */
  readonly registry: Registry;
}

const LABEL_NAMES = ["grpc_type", "grpc_service", "grpc_method", "protocol"] as const;
type Labels = Record<(typeof LABEL_NAMES)[number], string>;

const PROTOCOL_INDEX: Record<RpcProtocol, number> = { grpc: 0, "grpc-web": 1, connect: 2 };

/** The counts of one (method, protocol) pair. Plain numbers: incrementing them is free. */
interface Series {
  readonly labels: Labels;
  started: number;
  received: number;
  sent: number;
  /** Calls handled, by status code (0 = OK … 16). */
  readonly handled: number[];
  /** `labels` plus each code's `grpc_code`, made on the first scrape that needs them. */
  readonly handledLabels: (Labels & { grpc_code: string })[];
  /** This series of `grpc_server_handling_seconds`. */
  readonly handlingSeconds: HistogramSeries;
}

// One set of metrics per registry, so that servers sharing a registry add up their calls
// instead of failing on a duplicate metric name.
const metricsByRegistry = new WeakMap<Registry, RpcMetrics>();

/**
 * Registers the RPC metrics in `registry` (once per registry) and returns the observer
 * that feeds them.
 *
 * The counters are plain numbers on the call path, copied into prom-client's counters
 * when the registry is scraped (prom-client's own `inc` hashes the label set on every
 * call, ~0.3 µs each); the histogram's series are kept per (method, protocol) too
 * (see `createSeriesHistogram`).
 */
export function createRpcMetrics(registry: Registry): RpcMetrics {
  const existing = metricsByRegistry.get(registry);
  if (existing) {
    return existing;
  }

  const handlingSeconds = createSeriesHistogram({
    name: "grpc_server_handling_seconds",
    help: "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.",
    buckets: HANDLING_SECONDS_BUCKETS,
    registry,
  });
  const seriesByMethod = new Map<DescMethod, (Series | undefined)[]>();
  const allSeries: Series[] = [];
  const seriesOf = (call: ObservedCall): Series => {
    let row = seriesByMethod.get(call.method);
    if (row === undefined) {
      row = [undefined, undefined, undefined];
      seriesByMethod.set(call.method, row);
    }
    const index = PROTOCOL_INDEX[call.protocol];
    let series = row[index];
    if (series === undefined) {
      const labels = {
        grpc_type: callTypeOf(call.method),
        grpc_service: call.method.parent.typeName,
        grpc_method: call.method.name,
        protocol: call.protocol,
      };
      series = {
        labels,
        handlingSeconds: handlingSeconds.series(labels),
        started: 0,
        received: 0,
        sent: 0,
        handled: new Array<number>(17).fill(0),
        handledLabels: [],
      };
      row[index] = series;
      allSeries.push(series);
    }
    return series;
  };

  const counter = (name: string, help: string, field: "started" | "received" | "sent") =>
    new Counter({
      name,
      help,
      labelNames: LABEL_NAMES,
      registers: [registry],
      collect() {
        this.reset();
        for (const series of allSeries) {
          if (series[field] > 0) this.inc(series.labels, series[field]);
        }
      },
    });
  counter("grpc_server_started_total", "Total number of RPCs started on the server.", "started");
  counter("grpc_server_msg_received_total", "Total number of RPC stream messages received on the server.", "received");
  counter("grpc_server_msg_sent_total", "Total number of gRPC stream messages sent by the server.", "sent");
  new Counter({
    name: "grpc_server_handled_total",
    help: "Total number of RPCs completed on the server, regardless of success or failure.",
    labelNames: [...LABEL_NAMES, "grpc_code"],
    registers: [registry],
    collect() {
      this.reset();
      for (const series of allSeries) {
        series.handled.forEach((count, code) => {
          if (count === 0) return;
          const labels = (series.handledLabels[code] ??= { ...series.labels, grpc_code: codeNameOf(code) });
          this.inc(labels, count);
        });
      }
    },
  });

  const metrics: RpcMetrics = {
    registry,
    callStarted(call) {
      seriesOf(call).started++;
    },
    callEnded(call) {
      const series = seriesOf(call);
      series.handled[call.code] = (series.handled[call.code] ?? 0) + 1;
      series.received += call.messagesReceived;
      series.sent += call.messagesSent;
      series.handlingSeconds.observe(call.durationMs / 1000);
    },
  };
  metricsByRegistry.set(registry, metrics);
  return metrics;
}
