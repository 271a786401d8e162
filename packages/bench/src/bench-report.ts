import type { BundleSizeResult } from "./bundle-size.js";
import type { ProfileSummary } from "./cpu-profile.js";
import type { RepoTimings } from "./repo-timings.js";
import type { ClientRunRecord, ClientSummaryCell, ClientWorkload } from "./run-client-bench.js";
import type { MemoryRunRecord, MemorySummaryCell, MemoryWorkload } from "./run-memory-bench.js";
import type { NodeRunResults, Pinning } from "./run-bench.js";
import type { SummaryCell } from "./summarize.js";
import type { TargetResult } from "./targets.js";
import type { Workload } from "./workloads.js";

/** How the bench was run. */
export interface BenchSettings {
  mode: "smoke" | "default" | "full";
  rounds: number;
  durationS: number;
  warmUpS: number;
  pinning: Pinning | undefined;
  /** Why there is no pinning, when there is none. */
  pinningNote?: string;
  h2load: string;
  /** The code measured. */
  code: {
    /** HEAD when the run started. */
    commit: string;
    /** Files changed but not committed under packages/server, sdk and bench (the run measured those too). */
    uncommittedFiles: number;
    /** Workspace packages run from a copy frozen at the start (empty: run from the tree). */
    frozenPackages: string[];
  };
}

/** The machine, for the record. */
export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  kernel: string;
  /** 1-minute load average at the start; other work on the machine skews results. */
  loadAverageAtStart: number;
}

/** Everything about one Node version: raw runs, medians, targets, optional profile. */
export interface NodeReport extends NodeRunResults {
  summary: SummaryCell[];
  targets: TargetResult[];
  /** The client workloads: @hello/client against the @grpc/grpc-js client (absent with `--no-clients`). */
  clients?: {
    workloads: ClientWorkload[];
    runs: ClientRunRecord[];
    summary: ClientSummaryCell[];
  };
  /** Server RSS with many streams open, per variant (absent when no memory workload was selected). */
  memory?: {
    workloads: MemoryWorkload[];
    runs: MemoryRunRecord[];
    summary: MemorySummaryCell[];
  };
  /** CPU profiles of our variants under gRPC unary load (`--profile`). */
  profiles?: (ProfileSummary | { variant: string; error: string })[];
}

/** The whole run: what `results/<date>-<node>.json` files hold (one Node each) and the report renders. */
export interface BenchReport {
  /** ISO time the run started. */
  startedAt: string;
  /** Wall-clock seconds of the whole run. */
  elapsedS: number;
  settings: BenchSettings;
  machine: MachineInfo;
  workloads: Pick<Workload, "id" | "label" | "protocol" | "kind" | "httpVersion" | "clients" | "streamsPerClient" | "messagesPerCall">[];
  nodes: NodeReport[];
  bundleSize: BundleSizeResult | { status: "skipped"; reason: string };
  repoTimings: RepoTimings | { skipped: string } | { error: string };
}
