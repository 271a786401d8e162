import type { NodeRunResults, RunRecord } from "./run-bench.js";
import { BASELINE_ID, RAW_HTTP1_ID, UPPER_BOUND_ID } from "./variants/index.js";
import type { Workload } from "./workloads.js";

/** Medians of one variant on one workload (valid runs only), with its ratios. */
export interface SummaryCell {
  workload: string;
  variant: string;
  validRuns: number;
  runs: number;
  /** Median req/s (calls per second). */
  reqPerSec: number | undefined;
  /** Median response messages per second (= req/s for unary). */
  msgsPerSec: number | undefined;
  /** Medians of the per-run p50 / p99 latencies, ms. */
  p50Ms: number | undefined;
  p99Ms: number | undefined;
  /** Medians of RSS before load and at the end of load, KiB. */
  idleRssKiB: number | undefined;
  loadedRssKiB: number | undefined;
  /**
   * Throughput (msgs/s) over grpc-js's on the same workload, or on its gRPC twin (same
   * kind and load) when grpc-js does not speak the protocol; see `baselineWorkload`.
   */
  vsBaseline: number | undefined;
  /** The workload the baseline ratio is taken against. */
  baselineWorkload: string | undefined;
  /** Throughput over the raw upper bound of the workload's HTTP version (node:http2 or node:http) on the same workload. */
  vsUpperBound: number | undefined;
  /** Median server CPU time per response message (per call for unary), µs. */
  cpuUsPerMessage: number | undefined;
  /** Median share of one CPU the server used during the runs. */
  cpuShare: number | undefined;
  /**
   * CPU efficiency relative to grpc-js on the baseline workload: its CPU µs per message
   * over ours (like `vsBaseline`, higher is better), which a busy machine skews far less.
   */
  cpuVsBaseline: number | undefined;
}

/** Median of the defined numbers; undefined when there are none. */
export function median(values: readonly (number | undefined)[]): number | undefined {
  const sorted = values.filter((v): v is number => v !== undefined && Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Reduces one Node version's runs to medians per (workload, variant) and the ratios to the
 * baseline (grpc-js) and the upper bound (raw node:http2), both from the same run.
 */
export function summarize(results: NodeRunResults, workloads: readonly Workload[]): SummaryCell[] {
  const cells: SummaryCell[] = [];
  for (const workload of workloads) {
    for (const variant of results.variants) {
      const all = results.runs.filter((r) => r.workload === workload.id && r.variant === variant.id);
      if (all.length === 0) continue;
      const valid = all.filter((r) => r.valid);
      const pick = (f: (r: RunRecord) => number | undefined) => median(valid.map(f));
      cells.push({
        workload: workload.id,
        variant: variant.id,
        validRuns: valid.length,
        runs: all.length,
        reqPerSec: pick((r) => r.reqPerSec),
        msgsPerSec: pick((r) => r.msgsPerSec),
        p50Ms: pick((r) => r.latencyMs?.p50),
        p99Ms: pick((r) => r.latencyMs?.p99),
        idleRssKiB: pick((r) => r.memory.idle?.rssKiB),
        loadedRssKiB: pick((r) => r.memory.loaded?.rssKiB),
        vsBaseline: undefined,
        baselineWorkload: undefined,
        vsUpperBound: undefined,
        cpuUsPerMessage: pick((r) => r.serverCpu?.usPerMessage),
        cpuShare: pick((r) => r.serverCpu?.share),
        cpuVsBaseline: undefined,
      });
    }
  }
  const find = (workload: string | undefined, variant: string) => cells.find((c) => c.workload === workload && c.variant === variant);
  for (const cell of cells) {
    const workload = workloads.find((w) => w.id === cell.workload)!;
    const baselineWorkload = baselineWorkloadOf(workload, workloads, results);
    cell.baselineWorkload = baselineWorkload;
    cell.vsBaseline = ratio(cell.msgsPerSec, find(baselineWorkload, BASELINE_ID)?.msgsPerSec);
    cell.vsUpperBound = ratio(cell.msgsPerSec, find(cell.workload, upperBoundOf(workload))?.msgsPerSec);
    cell.cpuVsBaseline = ratio(find(baselineWorkload, BASELINE_ID)?.cpuUsPerMessage, cell.cpuUsPerMessage);
  }
  return cells;
}

/** The variant a workload's upper-bound ratio is taken against: the raw server of its HTTP version. */
export function upperBoundOf(workload: Pick<Workload, "httpVersion">): string {
  return workload.httpVersion === "h1" ? RAW_HTTP1_ID : UPPER_BOUND_ID;
}

/**
 * The workload whose grpc-js figure a workload is compared with: itself when grpc-js
 * speaks its protocol, else the gRPC workload of the same kind and load (Connect and
 * gRPC-Web are compared with grpc-js serving gRPC, which is what it would serve instead).
 */
export function baselineWorkloadOf(
  workload: Workload,
  workloads: readonly Workload[],
  results: Pick<NodeRunResults, "variants">,
): string | undefined {
  const baseline = results.variants.find((v) => v.id === BASELINE_ID);
  if (!baseline) return undefined;
  if (!baseline.httpVersions.includes(workload.httpVersion)) return undefined;
  if (baseline.protocols.includes(workload.protocol)) return workload.id;
  return workloads.find(
    (w) =>
      baseline.protocols.includes(w.protocol) &&
      w.httpVersion === workload.httpVersion &&
      w.kind === workload.kind &&
      w.clients === workload.clients &&
      w.streamsPerClient === workload.streamsPerClient,
  )?.id;
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a !== undefined && b !== undefined && b > 0 ? a / b : undefined;
}
