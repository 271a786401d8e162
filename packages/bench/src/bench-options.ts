import { parseArgs } from "node:util";
import type { NodeChoice } from "./node-binaries.js";

/** The Node majors the project supports, and the bench's default: 22, 24 and 26 (Node 20 is end of life). */
export const SUPPORTED_NODES: readonly NodeChoice[] = ["22", "24", "26"];

/** Everything the command line decides. */
export interface BenchOptions {
  mode: "smoke" | "default" | "full";
  nodes: NodeChoice[];
  rounds: number;
  durationS: number;
  warmUpS: number;
  /** Variant ids to run (default: all). */
  variants: string[] | undefined;
  /** Extra variant modules: `id=path/to/module.js`. */
  addVariants: { id: string; module: string }[];
  /** Workload ids to run (default: all). */
  workloads: string[] | undefined;
  /** Run the client workloads (@hello/client against the grpc-js client). */
  clients: boolean;
  /** Where results go. */
  outDir: string | undefined;
  repoTimings: boolean;
  profile: boolean;
  /** Only rebuild REPORT.md, chart.svg and PROFILES.md from the newest results. */
  rerender: boolean;
  pin: boolean;
  help: boolean;
}

/** `--help` text. */
export const USAGE = `pnpm bench [-- options]   (from the repository root; or \`pnpm --filter @hello/bench bench …\`)

Starts every server variant in its own process pinned to CPU 0, verifies its answers,
drives it with h2load pinned to CPU 1, and writes results/<date>-<node>.json,
results/REPORT.md and results/chart.svg.

  --smoke                 1 round, -D 1, no warm-up, the Node running the bench; writes to
                          results/smoke/ (the quick correctness check CI runs)
  --full                  5 rounds, -D 8, 4 s warm-up (about 25 min per Node version)
  --node 22|24|26|supported|20|current
                          Node for the servers: Node 22, 24 or 26 (fetched into
                          ~/.cache/hello-rpc/node<N> like scripts/with-node.mjs), supported
                          (22, 24 and 26 in turn: the default), the system Node (20, end of
                          life: only when asked), or the Node running the bench (default
                          with --smoke); a comma list (e.g. 24,26) runs each in turn
  --rounds N              rounds (default 3); medians are reported
  --duration S            h2load -D seconds per run (default 2: 3 rounds of every variant and
                          workload take about 15 min per Node, 40+ min for the three)
  --warm-up S             h2load --warm-up-time seconds (default 4: a fresh server process
                          reaches its steady rate only after its JIT has settled, ~3 s here)
  --variants a,b          only these variants (ids: shipped, extras-off, grpc-js, raw-http2, raw-http1;
                          fast-path-off and connect-bare run only when listed here)
  --add-variant id=FILE   also run the server variant module FILE (exports start, label)
  --workloads a,b         only these workloads (e.g. grpc-unary-c10, grpc-stream-c10,
                          connect-json-unary-h1, connect-json-unary-c10-cors, grpc-bidi-long,
                          grpc-client-stream-c10, memory-open-bidi, client-unary-c100,
                          client-bidi-long, client-open-bidi)
  --no-clients            skip the client workloads (@hello/client against the @grpc/grpc-js
                          client, each in its own process on CPU 1, the raw node:http2 server on CPU 0)
  --out DIR               results directory (default: packages/bench/results)
  --profile               also record a 5 s CPU profile of each of our variants (shipped,
                          extras-off, …) under gRPC unary -c10 -m10 load
  --repo-timings          also clone the repository and time a cold \`pnpm install && pnpm test\`
                          and a cached \`pnpm test\` (several minutes)
  --rerender              measure nothing: rebuild REPORT.md, chart.svg and PROFILES.md from
                          the newest <date>-<node>.json files in the results directory
  --no-pin                do not pin with taskset
`;

/** Parses `pnpm bench` arguments (a leading `--` from pnpm or turbo is ignored). */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv.filter((arg) => arg !== "--"),
    options: {
      smoke: { type: "boolean", default: false },
      full: { type: "boolean", default: false },
      node: { type: "string" },
      rounds: { type: "string" },
      duration: { type: "string" },
      "warm-up": { type: "string" },
      variants: { type: "string" },
      "add-variant": { type: "string", multiple: true },
      workloads: { type: "string" },
      out: { type: "string" },
      profile: { type: "boolean", default: false },
      "repo-timings": { type: "boolean", default: false },
      rerender: { type: "boolean", default: false },
      "no-pin": { type: "boolean", default: false },
      "no-clients": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.smoke && values.full) throw new Error("--smoke and --full exclude each other");
  const mode = values.smoke ? "smoke" : values.full ? "full" : "default";
  const defaults = {
    smoke: { rounds: 1, durationS: 1, warmUpS: 0 },
    // Every run starts a fresh server process, which needs a few seconds of load before
    // V8 has optimized its hot code: measured here (1 s h2load slices on a fresh process,
    // Node 24), our server did ~9k, ~11–14k, then ~21k req/s in its first three seconds and
    // grpc-js ~11k, ~19k, then ~20k. With a 1 s warm-up the ratios mostly measured how fast
    // each JIT-compiles; the targets are about serving, so runs measure the steady state.
    // 3 rounds × 30 runs × (2 s + 4 s warm-up + ~0.5 s start/stop): ~10 min per Node version.
    default: { rounds: 3, durationS: 2, warmUpS: 4 },
    full: { rounds: 5, durationS: 8, warmUpS: 4 },
  }[mode];
  const nodeChoice = values.node ?? (mode === "smoke" ? "current" : "supported");
  const nodes = nodeChoice === "supported" ? [...SUPPORTED_NODES] : nodeChoice.split(",").map((s) => s.trim());
  for (const node of nodes) {
    if (!["20", "22", "24", "26", "current"].includes(node)) {
      throw new Error(`--node must be 22, 24, 26, supported, 20, current or a comma list of them (got "${nodeChoice}")`);
    }
  }
  const list = (value: string | undefined) =>
    value
      ?.split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  return {
    mode,
    nodes: nodes as NodeChoice[],
    rounds: positive(values.rounds, "--rounds") ?? defaults.rounds,
    durationS: seconds(values.duration, "--duration", 0.1) ?? defaults.durationS,
    warmUpS: seconds(values["warm-up"], "--warm-up", 0) ?? defaults.warmUpS,
    variants: list(values.variants),
    addVariants: (values["add-variant"] ?? []).map((spec) => {
      const eq = spec.indexOf("=");
      if (eq <= 0) throw new Error(`--add-variant wants id=path/to/module.js (got "${spec}")`);
      return { id: spec.slice(0, eq), module: spec.slice(eq + 1) };
    }),
    workloads: list(values.workloads),
    clients: !values["no-clients"],
    outDir: values.out,
    repoTimings: values["repo-timings"],
    profile: values.profile,
    rerender: values.rerender,
    pin: !values["no-pin"],
    help: values.help,
  };
}

function positive(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} wants a whole number ≥ 1 (got "${value}")`);
  return n;
}

function seconds(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new Error(`${flag} wants seconds ≥ ${min} (got "${value}")`);
  return n;
}
