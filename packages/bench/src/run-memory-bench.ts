import type { OpenStreamShape } from "./clients/client-driver.js";
import type { NodeBinary } from "./node-binaries.js";
import { openServerStreams } from "./open-server-streams.js";
import type { Pinning } from "./run-bench.js";
import { median } from "./summarize.js";
import { formatRatio, type TargetResult } from "./targets.js";
import { startVariantProcess } from "./variant-process-handle.js";
import { BASELINE_ID, SHIPPED_ID, type VariantEntry } from "./variants/index.js";

/** One server memory workload: `streams` calls of one shape held open at once. */
export interface MemoryWorkload {
  /** Stable id, e.g. "memory-open-bidi" (also picked with `--workloads`). */
  id: string;
  label: string;
  shape: OpenStreamShape;
  streams: number;
}

/** Streams held open on the server in the memory workloads. */
export const SERVER_OPEN_STREAMS = 1000;

/** The server memory workloads: `streams` open BidiHello calls, and as many paused LotsOfReplies calls. */
export function createMemoryWorkloads(options: { streams?: number } = {}): MemoryWorkload[] {
  const streams = options.streams ?? SERVER_OPEN_STREAMS;
  return [
    { id: "memory-open-bidi", label: `server RSS, ${streams} open bidi streams`, shape: "bidi", streams },
    { id: "memory-open-server-streams", label: `server RSS, ${streams} open server streams`, shape: "server-stream", streams },
  ];
}

/** One measurement: a fresh server process, idle and then with every stream open. */
export interface MemoryRunRecord {
  round: number;
  workload: string;
  variant: string;
  valid: boolean;
  voidReasons: string[];
  /** VmRSS after start-up and one opening call, KiB. */
  idleRssKiB: number | undefined;
  /** VmRSS with every stream open (0.5 s after the last first reply), KiB. */
  openRssKiB: number | undefined;
}

/** Medians of one variant on one memory workload, and the paired ratio to grpc-js (lower is better). */
export interface MemorySummaryCell {
  workload: string;
  variant: string;
  validRuns: number;
  runs: number;
  idleRssKiB: number | undefined;
  openRssKiB: number | undefined;
  /** Median over rounds of open RSS over grpc-js's in the same round. */
  vsBaseline: number | undefined;
}

/** How the server memory workloads run on one Node version. */
export interface RunMemoryBenchOptions {
  node: NodeBinary;
  /** The variants to measure: those serving gRPC over HTTP/2 (every stream is gRPC). */
  variants: readonly VariantEntry[];
  workloads: readonly MemoryWorkload[];
  rounds: number;
  pinning: Pinning | undefined;
  codeDir?: string;
  log: (line: string) => void;
}

/** Time for allocations to settle after the last stream opened; no GC is forced (neither a client nor Node would). */
const SETTLE_MS = 500;

/**
 * Measures each variant's RSS with many streams open: per round and workload, every
 * variant in turn (order rotating each round) starts in a fresh process pinned to the
 * server CPU, answers one opening call (so that idle RSS includes a warmed connection
 * path), then gets `streams` streams opened from this process, each proven open by its
 * first reply byte for byte; VmRSS is read 0.5 s later. A run in which any stream did not
 * open is void.
 */
export async function runMemoryBench(options: RunMemoryBenchOptions): Promise<MemoryRunRecord[]> {
  const records: MemoryRunRecord[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    options.log(`${options.node.name}: memory round ${round} of ${options.rounds}`);
    for (const workload of options.workloads) {
      const k = (round - 1) % Math.max(1, options.variants.length);
      for (const entry of [...options.variants.slice(k), ...options.variants.slice(0, k)]) {
        const record = await measure(options, entry, workload, round);
        records.push(record);
        const mib = (kib: number | undefined) => (kib === undefined ? "—" : `${Math.round(kib / 1024)} MiB`);
        options.log(
          `  ${workload.id.padEnd(26)} ${entry.id.padEnd(12)} ${record.valid ? "" : "VOID "}idle ${mib(record.idleRssKiB)}, ` +
            `${workload.streams} open ${mib(record.openRssKiB)}${record.valid ? "" : ` — ${record.voidReasons.join("; ")}`}`,
        );
      }
    }
  }
  return records;
}

async function measure(
  options: RunMemoryBenchOptions,
  entry: VariantEntry,
  workload: MemoryWorkload,
  round: number,
): Promise<MemoryRunRecord> {
  const record: MemoryRunRecord = {
    round,
    workload: workload.id,
    variant: entry.id,
    valid: false,
    voidReasons: [],
    idleRssKiB: undefined,
    openRssKiB: undefined,
  };
  const server = await startVariantProcess(entry, {
    node: options.node.path,
    cpu: options.pinning?.server,
    ...(options.codeDir ? { codeDir: options.codeDir } : {}),
  });
  try {
    const warm = await openServerStreams(server.url, workload.shape, 1);
    warm.close();
    if (warm.opened !== 1) record.voidReasons.push(`opening call failed: ${warm.problems.join("; ")}`);
    await sleep(SETTLE_MS);
    record.idleRssKiB = server.memory()?.rssKiB;
    const open = await openServerStreams(server.url, workload.shape, workload.streams);
    try {
      await sleep(SETTLE_MS);
      record.openRssKiB = server.memory()?.rssKiB;
    } finally {
      open.close();
    }
    if (open.opened !== workload.streams) {
      record.voidReasons.push(`${open.opened} of ${workload.streams} streams opened: ${open.problems.join("; ")}`);
    }
    if (record.openRssKiB === undefined) record.voidReasons.push("could not read the server's RSS");
  } catch (error) {
    record.voidReasons.push(error instanceof Error ? error.message : String(error));
  } finally {
    await server.stop();
  }
  record.valid = record.voidReasons.length === 0;
  return record;
}

/** Reduces memory runs to medians per (workload, variant) and the per-round ratio of open RSS to grpc-js's. */
export function summarizeMemory(records: readonly MemoryRunRecord[], workloads: readonly MemoryWorkload[]): MemorySummaryCell[] {
  const cells: MemorySummaryCell[] = [];
  for (const workload of workloads) {
    for (const variant of [...new Set(records.map((r) => r.variant))]) {
      const all = records.filter((r) => r.workload === workload.id && r.variant === variant);
      if (all.length === 0) continue;
      const valid = all.filter((r) => r.valid);
      cells.push({
        workload: workload.id,
        variant,
        validRuns: valid.length,
        runs: all.length,
        idleRssKiB: median(valid.map((r) => r.idleRssKiB)),
        openRssKiB: median(valid.map((r) => r.openRssKiB)),
        vsBaseline: median(
          valid.map((ours) => {
            const base = records.find((r) => r.valid && r.workload === workload.id && r.variant === BASELINE_ID && r.round === ours.round);
            return ours.openRssKiB !== undefined && base?.openRssKiB ? ours.openRssKiB / base.openRssKiB : undefined;
          }),
        ),
      });
    }
  }
  return cells;
}

/** The issue's memory target for the server: RSS with 1,000 open streams, as shipped, ≤ grpc-js's. */
export function evaluateMemoryTargets(cells: readonly MemorySummaryCell[], workloads: readonly MemoryWorkload[]): TargetResult[] {
  return workloads.map((workload) => {
    const ours = cells.find((c) => c.workload === workload.id && c.variant === SHIPPED_ID);
    const ratio = ours?.vsBaseline;
    return {
      id: `${workload.id}-vs-grpc-js`,
      target: `server RSS with ${workload.streams} open ${workload.shape === "bidi" ? "bidi" : "server"} streams ≤ grpc-js's`,
      measured:
        ratio === undefined || ours?.openRssKiB === undefined
          ? "—"
          : `${formatRatio(ratio, 1)}× grpc-js (${Math.round(ours.openRssKiB / 1024)} MiB)`,
      status: ratio === undefined ? "no data" : ratio <= 1 ? "met" : "not met",
    };
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
