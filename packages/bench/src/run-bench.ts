import { type H2loadResult, runH2load } from "./h2load.js";
import type { NodeBinary } from "./node-binaries.js";
import { loadAverage, machineBusyShare, type ProcessMemory, readCpuSeconds } from "./proc-status.js";
import type { StatusCounts } from "./status-counter.js";
import { startVariantProcess, type VariantProcess } from "./variant-process-handle.js";
import type { VariantEntry } from "./variants/index.js";
import { verifyAnswer } from "./verify-answer.js";
import { type HttpVersion, type Protocol, servesWorkload, type Workload } from "./workloads.js";

/** CPUs to pin to: the server on one, h2load on the other. */
export interface Pinning {
  server: number;
  client: number;
}

/** How one Node version is benchmarked. */
export interface RunBenchOptions {
  node: NodeBinary;
  variants: readonly VariantEntry[];
  workloads: readonly Workload[];
  rounds: number;
  durationS: number;
  warmUpS: number;
  /** undefined: no pinning (fewer than 2 CPUs, or no taskset). */
  pinning: Pinning | undefined;
  /**
   * Start each variant once per round and run every workload against that process, instead
   * of a fresh process per run. Faster (the smoke mode uses it); idle RSS then means little.
   */
  reuseProcesses?: boolean;
  /** Where the variant processes' code is (a frozen copy of `dist`); default: this `dist`. */
  codeDir?: string;
  /** Progress lines go here. */
  log: (line: string) => void;
}

/** A variant as it described itself when started. */
export interface VariantInfo {
  id: string;
  label: string;
  role: VariantEntry["role"];
  protocols: readonly Protocol[];
  httpVersions: readonly HttpVersion[];
  cors: boolean;
}

/** One request checked against the expected answer, before any timing. */
export interface Verification {
  variant: string;
  workload: string;
  ok: boolean;
  problems: string[];
}

/** One timed h2load run against a fresh server process. */
export interface RunRecord {
  round: number;
  workload: string;
  variant: string;
  /** False when anything went wrong: the numbers then count for nothing. */
  valid: boolean;
  voidReasons: string[];
  /** h2load's req/s (calls completed in the measured period, per second). */
  reqPerSec: number;
  /** Response messages per second: calls answered 200 × messages per call ÷ duration. */
  msgsPerSec: number;
  latencyMs: H2loadResult["latencyMs"] | undefined;
  h2load: Omit<H2loadResult, "latencyMs" | "reqPerSec"> | undefined;
  memory: { idle: ProcessMemory | undefined; loaded: ProcessMemory | undefined };
  /** Statuses the server process wrote during the h2load run (warm-up included). */
  serverStatuses: StatusCounts | undefined;
  /**
   * The server's CPU use over h2load's measured period (from the end of its warm-up; the
   * whole run when there is none): seconds, share of one CPU (below ~0.9 under
   * `-c 10 -m 10` means it was starved or not saturated), and CPU time per OK call and per
   * response message. Per-call CPU barely moves when other work competes for the CPU, so
   * it backs up the req/s ratios on a busy machine. Measured apart from the warm-up
   * because that is when V8 compiles the server's hot code, at a cost per call several
   * times the steady one.
   */
  serverCpu: { seconds: number; share: number; usPerCall: number; usPerMessage: number } | undefined;
  /** 1-minute load average just before the run. */
  loadAverage: number;
  /** Share of the machine's CPU busy just before the run (other people's work shows here). */
  machineBusyBefore: number | undefined;
  /**
   * The run was repeated once because the server got less than {@link CONTENDED_SHARE} of
   * its CPU under a saturating load (something else ran on it); this is the repeat.
   */
  repeated: boolean;
  /** The server got less than {@link CONTENDED_SHARE} of its CPU under a saturating load, even after a repeat. */
  contended: boolean;
}

/**
 * Below this share of one CPU, a server under a saturating load (`-c 10`) was held back by
 * other processes: the run is repeated once, and flagged if it happens again.
 */
export const CONTENDED_SHARE = 0.85;
/** Before each run the bench waits (up to {@link QUIET_WAIT_MS}) until the machine is at most this busy. */
const QUIET_BUSY_SHARE = 0.1;
const QUIET_WAIT_MS = 15_000;

/** Everything measured on one Node version. */
export interface NodeRunResults {
  node: NodeBinary;
  variants: VariantInfo[];
  verifications: Verification[];
  runs: RunRecord[];
}

/**
 * Benchmarks every variant on one Node version: first verifies each variant's answer to
 * every workload it supports (a variant that answers wrong is not timed on that workload),
 * then runs `rounds` rounds; in each, every workload runs against every variant, one
 * after the other (interleaved, in an order that rotates each round), each time on a fresh
 * server process pinned to one CPU, with h2load pinned to the other. Every timed run
 * verifies its server's answer again first and checks afterwards that nothing failed.
 */
export async function runBench(options: RunBenchOptions): Promise<NodeRunResults> {
  const { node, log } = options;
  const variants: VariantInfo[] = [];
  const verifications: Verification[] = [];
  log(`${node.name} (${node.version}): verifying every variant's answers`);
  // With reused processes, the processes that answered the checks serve the first round.
  const checkedProcesses = new Map<string, Promise<VariantProcess>>();
  for (const entry of options.variants) {
    const started = start(options, entry);
    if (options.reuseProcesses) checkedProcesses.set(entry.id, started);
    const server = await started.catch(async (error: unknown) => {
      await stopAll(checkedProcesses);
      throw error;
    });
    try {
      variants.push({
        id: entry.id,
        label: server.label,
        role: entry.role,
        protocols: server.protocols,
        httpVersions: server.httpVersions,
        cors: server.cors,
      });
      for (const workload of options.workloads) {
        if (!servesWorkload(server, workload)) continue;
        const check = await verifyAnswer(server.url, workload);
        verifications.push({ variant: entry.id, workload: workload.id, ...check });
        log(`  ${check.ok ? "ok  " : "FAIL"} ${entry.id} ${workload.id}${check.ok ? "" : `: ${check.problems.join("; ")}`}`);
      }
    } finally {
      if (!options.reuseProcesses) await server.stop();
    }
  }
  const verified = (variant: string, workload: string) =>
    verifications.some((v) => v.variant === variant && v.workload === workload && v.ok);

  const runs: RunRecord[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    log(`${node.name}: round ${round} of ${options.rounds}`);
    const pool = round === 1 ? checkedProcesses : new Map<string, Promise<VariantProcess>>();
    const shared = (entry: VariantEntry) => {
      if (!options.reuseProcesses) return undefined;
      const existing = pool.get(entry.id);
      if (existing) return existing;
      const started = start(options, entry);
      pool.set(entry.id, started);
      return started;
    };
    try {
      for (const workload of options.workloads) {
        const eligible = options.variants.filter((v) => verified(v.id, workload.id));
        for (const entry of rotate(eligible, round - 1)) {
          let record = await timedRun(options, entry, workload, round, shared(entry));
          if (isContended(workload, record) && !options.reuseProcesses) {
            log(`  ${workload.id} ${entry.id}: server got ${Math.round(record.serverCpu!.share * 100)} % of its CPU; repeating the run`);
            record = { ...(await timedRun(options, entry, workload, round, undefined)), repeated: true };
          }
          record.contended = isContended(workload, record);
          runs.push(record);
          log(
            `  ${workload.id.padEnd(24)} ${entry.id.padEnd(12)} ${record.valid ? "" : "VOID "}${Math.round(record.reqPerSec)} req/s` +
              (workload.messagesPerCall > 1 ? `, ${Math.round(record.msgsPerSec)} msgs/s` : "") +
              (record.latencyMs ? `, p50 ${record.latencyMs.p50.toFixed(2)} ms, p99 ${record.latencyMs.p99.toFixed(2)} ms` : "") +
              (record.contended ? " (contended)" : "") +
              (record.valid ? "" : ` — ${record.voidReasons.join("; ")}`),
          );
        }
      }
    } finally {
      await stopAll(pool);
    }
  }
  return { node, variants, verifications, runs };
}

async function stopAll(pool: Map<string, Promise<VariantProcess>>): Promise<void> {
  for (const server of pool.values())
    await server.then(
      (s) => s.stop(),
      () => {},
    );
  pool.clear();
}

/** Starts a variant; a start that fails is tried twice more, 2 s apart, before it counts. */
async function start(options: RunBenchOptions, entry: VariantEntry): Promise<VariantProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startVariantProcess(entry, {
        node: options.node.path,
        cpu: options.pinning?.server,
        ...(options.codeDir ? { codeDir: options.codeDir } : {}),
      });
    } catch (error) {
      if (attempt >= 3) throw error;
      options.log(`  ${entry.id} did not start (${error instanceof Error ? error.message : String(error)}); retrying`);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  }
}

async function timedRun(
  options: RunBenchOptions,
  entry: VariantEntry,
  workload: Workload,
  round: number,
  shared: Promise<VariantProcess> | undefined,
): Promise<RunRecord> {
  const record: RunRecord = {
    round,
    workload: workload.id,
    variant: entry.id,
    valid: false,
    voidReasons: [],
    reqPerSec: 0,
    msgsPerSec: 0,
    latencyMs: undefined,
    h2load: undefined,
    memory: { idle: undefined, loaded: undefined },
    serverStatuses: undefined,
    serverCpu: undefined,
    loadAverage: loadAverage(),
    machineBusyBefore: undefined,
    repeated: false,
    contended: false,
  };
  if (!shared) record.machineBusyBefore = await waitForQuiet(options);
  let server: VariantProcess | undefined;
  try {
    server = await (shared ?? start(options, entry));
    const check = await verifyAnswer(server.url, workload);
    if (!check.ok) {
      record.voidReasons.push(`wrong answer before timing: ${check.problems.join("; ")}`);
      return record;
    }
    record.memory.idle = server.memory();
    const before = await server.statuses();
    let loaded: ProcessMemory | undefined;
    const sampler = setInterval(() => {
      loaded = server?.memory() ?? loaded;
    }, 200);
    let result: H2loadResult;
    let cpuBefore = readCpuSeconds(server.pid);
    let wallBefore = performance.now();
    let statusesBefore: Promise<StatusCounts> = Promise.resolve(before);
    // The measured period starts when h2load's warm-up ends (h2load starts its clock once
    // its connections are up, a few ms after it is spawned: a sliver of the period).
    const running = server;
    const warmUpTimer =
      options.warmUpS > 0
        ? setTimeout(() => {
            cpuBefore = readCpuSeconds(running.pid);
            wallBefore = performance.now();
            statusesBefore = running.statuses();
          }, options.warmUpS * 1_000)
        : undefined;
    try {
      result = await runH2load({
        url: server.url,
        workload,
        durationS: options.durationS,
        warmUpS: options.warmUpS,
        cpu: options.pinning?.client,
      });
    } finally {
      clearInterval(sampler);
      clearTimeout(warmUpTimer);
    }
    record.memory.loaded = loaded;
    const { latencyMs, reqPerSec, ...h2load } = result;
    record.h2load = h2load;
    record.latencyMs = latencyMs;
    record.reqPerSec = reqPerSec;
    record.msgsPerSec = (latencyMs.samples * workload.messagesPerCall) / options.durationS;
    const cpuAfter = readCpuSeconds(server.pid);
    const wallS = (performance.now() - wallBefore) / 1_000;
    const after = await server.statuses();
    record.serverStatuses = subtract(after, before);
    const calls = okCalls(workload, subtract(after, await statusesBefore));
    if (cpuBefore !== undefined && cpuAfter !== undefined && calls > 0) {
      const seconds = cpuAfter - cpuBefore;
      record.serverCpu = {
        seconds,
        share: seconds / wallS,
        usPerCall: (seconds / calls) * 1e6,
        usPerMessage: (seconds / (calls * workload.messagesPerCall)) * 1e6,
      };
    }
    record.voidReasons.push(...problemsOf(workload, result, record.serverStatuses));
  } catch (error) {
    record.voidReasons.push(error instanceof Error ? error.message.split("\n")[0]! : String(error));
  } finally {
    if (!shared) await server?.stop();
  }
  record.valid = record.voidReasons.length === 0;
  return record;
}

/**
 * Why a finished run does not count: anything failed, errored or timed out in h2load, any
 * non-2xx status, or, server-side, any HTTP status but 200 or grpc-status but 0, or fewer
 * OK statuses written than h2load counted successes.
 */
export function problemsOf(workload: Workload, result: H2loadResult, statuses: StatusCounts): string[] {
  const problems: string[] = [];
  const { requests, statusCodes } = result;
  if (requests.failed + requests.errored + requests.timeout > 0) {
    problems.push(`h2load: ${requests.failed} failed, ${requests.errored} errored, ${requests.timeout} timeout`);
  }
  if (requests.succeeded === 0) problems.push("h2load: no request succeeded");
  if (statusCodes["3xx"] + statusCodes["4xx"] + statusCodes["5xx"] > 0) {
    problems.push(`h2load status codes: ${JSON.stringify(statusCodes)}`);
  }
  const otherHttp = Object.keys(statuses.http).filter((code) => code !== "200");
  if (otherHttp.length > 0) problems.push(`server wrote HTTP statuses ${JSON.stringify(statuses.http)}`);
  const ok = okCalls(workload, statuses);
  const otherGrpc = Object.keys(statuses.grpc).filter((code) => code !== "0");
  if (otherGrpc.length > 0) problems.push(`server wrote grpc-status ${JSON.stringify(statuses.grpc)}`);
  if (ok < requests.succeeded) {
    problems.push(`server wrote ${ok} OK statuses for ${requests.succeeded} calls h2load counted as succeeded`);
  }
  return problems;
}

/** A saturating run in which the server did not get its CPU. */
function isContended(workload: Workload, record: RunRecord): boolean {
  const saturating = workload.clients * workload.streamsPerClient >= 10;
  return saturating && record.valid && record.serverCpu !== undefined && record.serverCpu.share < CONTENDED_SHARE;
}

/**
 * Waits until the machine is quiet (other people's builds and tests share it), up to
 * {@link QUIET_WAIT_MS}; returns how busy it was when the run started.
 */
async function waitForQuiet(options: RunBenchOptions): Promise<number | undefined> {
  const deadline = Date.now() + QUIET_WAIT_MS;
  let told = false;
  for (;;) {
    const busy = await machineBusyShare(300);
    if (busy === undefined || busy <= QUIET_BUSY_SHARE || Date.now() >= deadline) return busy;
    if (!told) {
      options.log(`  machine ${Math.round(busy * 100)} % busy: waiting up to ${QUIET_WAIT_MS / 1_000} s for it to calm down`);
      told = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 700));
  }
}

/** Calls the server completed OK: grpc-status 0 for gRPC and gRPC-Web, HTTP 200 for Connect. */
function okCalls(workload: Workload, statuses: StatusCounts): number {
  return workload.expected.grpcStatusIn === "none" ? (statuses.http["200"] ?? 0) : (statuses.grpc["0"] ?? 0);
}

function subtract(after: StatusCounts, before: StatusCounts): StatusCounts {
  const diff = (a: Record<string, number>, b: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(a)
        .map(([key, n]) => [key, n - (b[key] ?? 0)] as const)
        .filter(([, n]) => n !== 0),
    );
  return { http: diff(after.http, before.http), grpc: diff(after.grpc, before.grpc) };
}

function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
