#!/usr/bin/env node
// `pnpm bench`: benchmarks the server variants and writes results/<date>-<node>.json,
// results/REPORT.md and results/chart.svg. `--help` lists the options.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, release } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchReport, BenchSettings, NodeReport } from "./bench-report.js";
import { type BenchOptions, parseBenchOptions, USAGE } from "./bench-options.js";
import { measureBundleSize } from "./bundle-size.js";
import { profileVariant } from "./cpu-profile.js";
import { type FrozenWorkspace, freezeWorkspace } from "./freeze-workspace.js";
import { resolveNode } from "./node-binaries.js";
import { loadAverage } from "./proc-status.js";
import { renderChart } from "./render-chart.js";
import { renderProfiles, renderReport } from "./render-report.js";
import { measureRepoTimings } from "./repo-timings.js";
import { type Pinning, runBench } from "./run-bench.js";
import { type ClientWorkload, createClientWorkloads, evaluateClientTargets, runClientBench, summarizeClients } from "./run-client-bench.js";
import { createMemoryWorkloads, evaluateMemoryTargets, type MemoryWorkload, runMemoryBench, summarizeMemory } from "./run-memory-bench.js";
import { summarize } from "./summarize.js";
import { evaluateTargets } from "./targets.js";
import { type VariantEntry, VARIANTS } from "./variants/index.js";
import { createWorkloads, type Workload } from "./workloads.js";

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = resolve(packageDir, "../..");
const log = (line: string) => console.log(line);
/** Replies per LotsOfReplies call, and requests per long client-stream and bidi call, in `--smoke` runs. */
const SMOKE_STREAM_REPLIES = 50;
/** Streams held open in the memory workloads of `--smoke` runs. */
const SMOKE_OPEN_STREAMS = 100;

async function main(argv: readonly string[]): Promise<number> {
  const options = parseBenchOptions(argv);
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  if (options.rerender) {
    return rerender(resolve(options.outDir ?? join(packageDir, "results")));
  }
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const outDir = resolve(options.outDir ?? join(packageDir, "results", options.mode === "smoke" ? "smoke" : ""));

  const h2load = toolVersion("h2load", ["--version"]);
  if (!h2load) {
    throw new Error("h2load not found: install it (Debian/Ubuntu: apt-get install nghttp2-client, or `pnpm system-deps`)");
  }
  const { pinning, pinningNote } = choosePinning(options.pin);
  if (pinningNote) log(`bench: no CPU pinning: ${pinningNote}`);

  const variants: VariantEntry[] = [
    ...VARIANTS,
    ...options.addVariants.map((v): VariantEntry => ({ id: v.id, module: resolve(v.module), role: "subject" })),
  ].filter((v) => (options.variants ? options.variants.includes(v.id) || options.addVariants.some((a) => a.id === v.id) : !v.optional));
  // The smoke run checks answers, not speed: short streams, so each ends within its short run.
  const workloads = createWorkloads(
    options.mode === "smoke" ? { streamReplies: SMOKE_STREAM_REPLIES, longStreamMessages: SMOKE_STREAM_REPLIES } : {},
  ).filter((w) => !options.workloads || options.workloads.includes(w.id));
  const clientWorkloads = options.clients
    ? createClientWorkloads(
        options.mode === "smoke" ? { streamReplies: SMOKE_STREAM_REPLIES, openStreams: SMOKE_OPEN_STREAMS } : {},
      ).filter((w) => !options.workloads || options.workloads.includes(w.id))
    : [];
  const memoryWorkloads = createMemoryWorkloads(options.mode === "smoke" ? { streams: SMOKE_OPEN_STREAMS } : {}).filter(
    (w) => !options.workloads || options.workloads.includes(w.id),
  );
  if (variants.length === 0 || workloads.length + clientWorkloads.length + memoryWorkloads.length === 0) {
    throw new Error("no variant or no workload selected");
  }

  // Run the variants from a frozen copy of the built code, so that a colleague's rebuild
  // cannot change or break the server between runs (not when run from sources, by tsx).
  const frozen: FrozenWorkspace | undefined = import.meta.url.endsWith(".ts") ? undefined : await freezeWorkspace(packageDir, repoRoot);
  try {
    return await benchAndReport(options, {
      startedAt,
      started,
      outDir,
      h2load,
      pinning,
      pinningNote,
      variants,
      workloads,
      clientWorkloads,
      memoryWorkloads,
      frozen,
    });
  } finally {
    await frozen?.dispose();
  }
}

async function benchAndReport(
  options: BenchOptions,
  run: {
    startedAt: string;
    started: number;
    outDir: string;
    h2load: string;
    pinning: Pinning | undefined;
    pinningNote: string | undefined;
    variants: VariantEntry[];
    workloads: Workload[];
    clientWorkloads: ClientWorkload[];
    memoryWorkloads: MemoryWorkload[];
    frozen: FrozenWorkspace | undefined;
  },
): Promise<number> {
  const { startedAt, started, outDir, h2load, pinning, pinningNote, variants, workloads, clientWorkloads, memoryWorkloads, frozen } = run;
  const settings: BenchSettings = {
    mode: options.mode,
    rounds: options.rounds,
    durationS: options.durationS,
    warmUpS: options.warmUpS,
    pinning,
    ...(pinningNote ? { pinningNote } : {}),
    h2load,
    code: codeState(frozen),
  };
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? "unknown CPU",
    kernel: release(),
    loadAverageAtStart: loadAverage(),
  };

  const nodes: NodeReport[] = [];
  for (const choice of options.nodes) {
    const node = resolveNode(choice);
    const results = await runBench({
      node,
      variants,
      workloads,
      rounds: options.rounds,
      durationS: options.durationS,
      warmUpS: options.warmUpS,
      pinning,
      reuseProcesses: options.mode === "smoke",
      ...(frozen ? { codeDir: frozen.benchDist } : {}),
      log,
    });
    const summary = summarize(results, workloads);
    const report: NodeReport = { ...results, summary, targets: workloads.length > 0 ? evaluateTargets(summary) : [] };
    if (memoryWorkloads.length > 0) {
      // Every stream is gRPC over HTTP/2: the variants that serve it, as they described themselves.
      const grpcVariants = variants.filter((v) =>
        results.variants.some((info) => info.id === v.id && info.protocols.includes("grpc") && info.httpVersions.includes("h2")),
      );
      const runs = await runMemoryBench({
        node,
        variants: grpcVariants,
        workloads: memoryWorkloads,
        rounds: options.rounds,
        pinning,
        ...(frozen ? { codeDir: frozen.benchDist } : {}),
        log,
      });
      const memorySummary = summarizeMemory(runs, memoryWorkloads);
      report.memory = { workloads: memoryWorkloads, runs, summary: memorySummary };
      report.targets.push(...evaluateMemoryTargets(memorySummary, memoryWorkloads));
    }
    if (clientWorkloads.length > 0) {
      const runs = await runClientBench({
        node,
        workloads: clientWorkloads,
        rounds: options.rounds,
        durationS: options.durationS,
        warmUpS: options.warmUpS,
        pinning,
        ...(frozen ? { codeDir: frozen.benchDist } : {}),
        log,
      });
      const clientSummary = summarizeClients(runs, clientWorkloads);
      report.clients = { workloads: clientWorkloads, runs, summary: clientSummary };
      report.targets.push(...evaluateClientTargets(clientSummary, clientWorkloads));
    }
    const grpcUnary = workloads.find((w) => w.id === "grpc-unary-c10");
    if (options.profile && grpcUnary) {
      report.profiles = [];
      for (const variant of variants.filter((v) => v.role === "subject")) {
        log(`${node.name}: profiling ${variant.id} under ${grpcUnary.id}`);
        report.profiles.push(
          await profileVariant({
            variant,
            workload: grpcUnary,
            node,
            pinning,
            seconds: 5,
            dir: join(outDir, ".cpu-profiles"),
            ...(frozen ? { codeDir: frozen.benchDist } : {}),
          }).catch((error: unknown) => ({ variant: variant.id, error: error instanceof Error ? error.message : String(error) })),
        );
      }
    }
    nodes.push(report);
  }

  const bundleSize =
    options.mode === "smoke" ? { status: "skipped" as const, reason: "skipped in smoke mode" } : await measureBundleSize(repoRoot);
  const repoTimings = options.repoTimings
    ? await measureRepoTimings(repoRoot, log).catch((error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }))
    : { skipped: "too slow for every run; `pnpm bench -- --repo-timings` clones the repository and times them" };

  const report: BenchReport = {
    startedAt,
    elapsedS: (Date.now() - started) / 1_000,
    settings,
    machine,
    workloads: workloads.map(({ id, label, protocol, kind, httpVersion, clients, streamsPerClient, messagesPerCall }) => ({
      id,
      label,
      protocol,
      kind,
      httpVersion,
      clients,
      streamsPerClient,
      messagesPerCall,
    })),
    nodes,
    bundleSize,
    repoTimings,
  };

  await mkdir(outDir, { recursive: true });
  const date = startedAt.slice(0, 10);
  for (const node of nodes) {
    const file = join(outDir, `${date}-${node.node.name}.json`);
    await writeFile(file, `${JSON.stringify({ ...report, nodes: [node] }, null, 2)}\n`);
    log(`bench: wrote ${relative(process.cwd(), file)}`);
  }
  await writeRenderings(report, outDir);

  for (const node of nodes) {
    for (const t of node.targets) log(`  ${node.node.name} ${t.status.padEnd(8)} ${t.target}: ${t.measured}`);
  }
  const failedChecks = nodes.flatMap((n) => n.verifications.filter((v) => !v.ok));
  const voidRuns = nodes.flatMap((n) => [...n.runs, ...(n.clients?.runs ?? []), ...(n.memory?.runs ?? [])].filter((r) => !r.valid));
  if (failedChecks.length + voidRuns.length > 0) {
    console.error(`bench: ${failedChecks.length} wrong answer(s), ${voidRuns.length} void run(s): see REPORT.md`);
    return 1;
  }
  return 0;
}

/** Writes REPORT.md, chart.svg and (with profiles) PROFILES.md of a run into `outDir`. */
async function writeRenderings(report: BenchReport, outDir: string): Promise<void> {
  const chart = renderChart(
    report.nodes.map((n) => ({ title: `${n.node.name} (${n.node.version})`, cells: n.summary })),
    {
      title: "req/s relative to @grpc/grpc-js in the same run (medians)",
      rows: report.workloads.map((w) => ({ id: w.id, label: w.label.replace(" (h2c)", "").replace(" (1000 replies)", " ×1000") })),
      variants: [
        ...new Map(report.nodes.flatMap((n) => n.variants).map((v) => [v.id, { id: v.id, label: `${v.id}: ${v.label}` }])).values(),
      ],
      note:
        "Connect and gRPC-Web are compared with grpc-js serving gRPC at the same load; streams of many messages in messages/s; " +
        "HTTP/1.1 rows have no bar (grpc-js has no HTTP/1.1: REPORT.md compares them with raw node:http).",
      references: [{ at: 1.2, label: "target 1.2×" }],
    },
  );
  await writeFile(join(outDir, "chart.svg"), chart);
  await writeFile(join(outDir, "REPORT.md"), renderReport(report, "chart.svg"));
  const profiles = renderProfiles(report);
  if (profiles) await writeFile(join(outDir, "PROFILES.md"), profiles);
  log(`bench: wrote ${relative(process.cwd(), join(outDir, "REPORT.md"))} and chart.svg (${Math.round(report.elapsedS)} s)`);
}

/**
 * `--rerender`: rebuilds REPORT.md, chart.svg and PROFILES.md from the newest run's
 * `<date>-<node>.json` files in `outDir` (after a change to the report, say), measuring nothing.
 */
async function rerender(outDir: string): Promise<number> {
  const files = (await readdir(outDir)).filter((f) => /^\d{4}-\d{2}-\d{2}-node\d+\.json$/.test(f)).sort();
  const newest = files.at(-1)?.slice(0, 10);
  if (!newest) throw new Error(`no <date>-node<N>.json results in ${outDir}`);
  const reports = await Promise.all(
    files.filter((f) => f.startsWith(newest)).map(async (f) => JSON.parse(await readFile(join(outDir, f), "utf8")) as BenchReport),
  );
  const [first] = reports;
  await writeRenderings({ ...first!, nodes: reports.flatMap((r) => r.nodes) }, outDir);
  return 0;
}

/** Which code ran: the commit, whether the measured packages had uncommitted changes, frozen or not. */
function codeState(frozen: FrozenWorkspace | undefined): BenchSettings["code"] {
  const git = (...args: string[]) => {
    try {
      return execFileSync("git", ["-C", repoRoot, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      return undefined;
    }
  };
  const changed = git("status", "--porcelain", "--", "packages/server", "packages/sdk", "packages/bench");
  return {
    commit: git("rev-parse", "--short=12", "HEAD") ?? "unknown",
    uncommittedFiles: changed === undefined ? -1 : changed.split("\n").filter(Boolean).length,
    frozenPackages: frozen?.packages ?? [],
  };
}

function toolVersion(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
      .trim()
      .split("\n")[0];
  } catch {
    return undefined;
  }
}

function choosePinning(wanted: boolean): { pinning: Pinning | undefined; pinningNote?: string } {
  if (!wanted) return { pinning: undefined, pinningNote: "--no-pin" };
  if (availableParallelism() < 2) return { pinning: undefined, pinningNote: "fewer than 2 CPUs available" };
  if (!existsSync("/usr/bin/taskset") && !toolVersion("taskset", ["--version"])) {
    return { pinning: undefined, pinningNote: "taskset not found (util-linux)" };
  }
  return { pinning: { server: 0, client: 1 } };
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
