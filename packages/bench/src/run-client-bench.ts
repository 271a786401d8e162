import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ClientLoadOptions, ClientLoadResult } from "./client-load.js";
import type { OpenStreamShape } from "./clients/client-driver.js";
import type { NodeBinary } from "./node-binaries.js";
import type { Pinning } from "./run-bench.js";
import { median } from "./summarize.js";
import { formatRatio, type TargetResult } from "./targets.js";
import { startVariantProcess } from "./variant-process-handle.js";
import { UPPER_BOUND_ID, VARIANTS } from "./variants/index.js";
import { SHORT_CLIENT_STREAM_MESSAGES } from "./workloads.js";

/**
 * One client load pattern: SayHello with N calls in flight, LotsOfReplies received whole,
 * LotsOfGreetings and BidiHello short and long, or N streams held open (memory).
 */
export interface ClientWorkload {
  /** Stable id, e.g. "client-unary-c100". */
  id: string;
  label: string;
  kind: ClientLoadOptions["kind"];
  /** Calls kept in flight by the one client; for `open-streams`, the streams held open. */
  inFlight: number;
  /** Messages per call (replies of LotsOfReplies, greetings sent to LotsOfGreetings and BidiHello); see {@link ClientLoadOptions}. */
  messagesPerCall: number;
  /** The kind of stream an `open-streams` workload holds open. */
  openShape?: OpenStreamShape;
}

/** A client library the bench drives: its id and its module under `clients/`. */
export interface ClientEntry {
  id: string;
  module: string;
  role: "subject" | "baseline";
}

/** The id of the client every client ratio is taken against. */
export const CLIENT_BASELINE_ID = "grpc-js-client";
/** The id of the client the client targets are about. */
export const CLIENT_SUBJECT_ID = "hello-client";

/** Every client, in report order. */
export const CLIENTS: readonly ClientEntry[] = [
  { id: CLIENT_SUBJECT_ID, module: "hello-client", role: "subject" },
  { id: CLIENT_BASELINE_ID, module: "grpc-js-client", role: "baseline" },
];

/** Replies per LotsOfReplies call in the client stream workload. */
export const CLIENT_STREAM_REPLIES = 1000;
/** Streams one client holds open in the memory workloads. */
export const OPEN_STREAMS = 1000;

/** Options of {@link createClientWorkloads}; `--smoke` asks for shorter streams and fewer open ones. */
export interface ClientWorkloadOptions {
  /** Replies per LotsOfReplies call and messages per long client-stream and bidi call. Default 1,000. */
  streamReplies?: number;
  /** Streams held open in the memory workloads. Default {@link OPEN_STREAMS}. */
  openStreams?: number;
}

/**
 * The client workloads: SayHello with 1, 10 and 100 calls in flight on one connection;
 * LotsOfReplies (`streamReplies` replies) with 10 calls in flight, counted in messages
 * received; LotsOfGreetings (3 greetings, and `streamReplies`) and BidiHello (1 message,
 * and `streamReplies` each way) with 10 in flight; and `openStreams` bidi and server
 * streams held open at once, for the client's RSS.
 */
export function createClientWorkloads(options: ClientWorkloadOptions = {}): ClientWorkload[] {
  const replies = options.streamReplies ?? CLIENT_STREAM_REPLIES;
  const open = options.openStreams ?? OPEN_STREAMS;
  return [
    ...[1, 10, 100].map(
      (inFlight): ClientWorkload => ({
        id: `client-unary-c${inFlight}`,
        label: `client: gRPC unary, ${inFlight} in flight`,
        kind: "unary",
        inFlight,
        messagesPerCall: 1,
      }),
    ),
    {
      id: "client-stream",
      label: `client: gRPC server stream (${replies} replies), 10 in flight`,
      kind: "server-stream",
      inFlight: 10,
      messagesPerCall: replies,
    },
    {
      id: "client-client-stream-short",
      label: `client: gRPC client stream (${SHORT_CLIENT_STREAM_MESSAGES} requests), 10 in flight`,
      kind: "client-stream",
      inFlight: 10,
      messagesPerCall: SHORT_CLIENT_STREAM_MESSAGES,
    },
    {
      id: "client-client-stream-long",
      label: `client: gRPC client stream (${replies} requests), 10 in flight`,
      kind: "client-stream",
      inFlight: 10,
      messagesPerCall: replies,
    },
    {
      id: "client-bidi-short",
      label: "client: gRPC bidi (1 request, 1 reply), 10 in flight",
      kind: "bidi",
      inFlight: 10,
      messagesPerCall: 1,
    },
    {
      id: "client-bidi-long",
      label: `client: gRPC bidi (${replies} requests and replies), 10 in flight`,
      kind: "bidi",
      inFlight: 10,
      messagesPerCall: replies,
    },
    ...(["bidi", "server-stream"] as const).map(
      (shape): ClientWorkload => ({
        id: `client-open-${shape === "bidi" ? "bidi" : "server-streams"}`,
        label: `client: ${open} open ${shape === "bidi" ? "bidi streams" : "server streams"} (RSS)`,
        kind: "open-streams",
        inFlight: open,
        messagesPerCall: 1,
        openShape: shape,
      }),
    ),
  ];
}

/** One timed client run. */
export interface ClientRunRecord {
  round: number;
  workload: string;
  client: string;
  /** False when anything failed: the numbers then count for nothing. */
  valid: boolean;
  voidReasons: string[];
  callsPerSec: number;
  msgsPerSec: number;
  /** The client process's CPU time (user + system) per call and per message received, µs. */
  cpuUsPerCall: number | undefined;
  cpuUsPerMessage: number | undefined;
  /** Share of one CPU the client used. */
  cpuShare: number | undefined;
  /** `open-streams`: the client's RSS with its connection open, and with every stream open, KiB. */
  rssBeforeKiB?: number | undefined;
  rssOpenKiB?: number;
}

/** How the client workloads are run on one Node version. */
export interface RunClientBenchOptions {
  node: NodeBinary;
  workloads: readonly ClientWorkload[];
  clients?: readonly ClientEntry[];
  rounds: number;
  durationS: number;
  warmUpS: number;
  pinning: Pinning | undefined;
  /** Where the bench's code is (a frozen copy of `dist`); default: next to this file. */
  codeDir?: string;
  log: (line: string) => void;
}

const here = fileURLToPath(new URL(".", import.meta.url));
const fromSource = import.meta.url.endsWith(".ts");
const ext = fromSource ? ".ts" : ".js";
/** A client process that has not finished this long after its run should have: the run is void. */
const GRACE_MS = 30_000;

/**
 * Runs every client workload with every client, `rounds` times, interleaved (the order
 * rotates each round). The server is the raw `node:http2` upper bound, the cheapest server
 * there is, on its own CPU, so that the clients' cost shows; each client runs in a fresh
 * process pinned to the other CPU. Every run checks every reply; any failed call voids it.
 */
export async function runClientBench(options: RunClientBenchOptions): Promise<ClientRunRecord[]> {
  const clients = options.clients ?? CLIENTS;
  const records: ClientRunRecord[] = [];
  const serverEntry = VARIANTS.find((v) => v.id === UPPER_BOUND_ID)!;
  for (let round = 1; round <= options.rounds; round++) {
    options.log(`${options.node.name}: client round ${round} of ${options.rounds}`);
    const server = await startVariantProcess(serverEntry, {
      node: options.node.path,
      cpu: options.pinning?.server,
      ...(options.codeDir ? { codeDir: options.codeDir } : {}),
    });
    try {
      for (const workload of options.workloads) {
        const order = clients.map((_, i) => clients[(i + round - 1) % clients.length]!);
        for (const client of order) {
          const record = await runClient(options, client, workload, server.url, round);
          records.push(record);
          options.log(
            `  ${workload.id.padEnd(26)} ${client.id.padEnd(16)} ${record.valid ? "" : "VOID "}` +
              (workload.kind === "open-streams"
                ? `RSS ${Math.round((record.rssBeforeKiB ?? 0) / 1024)} MiB before, ${Math.round((record.rssOpenKiB ?? 0) / 1024)} MiB with ${workload.inFlight} streams open`
                : `${Math.round(record.callsPerSec)} calls/s` +
                  (workload.messagesPerCall > 1 ? `, ${Math.round(record.msgsPerSec)} msgs/s` : "") +
                  (record.cpuUsPerCall !== undefined ? `, ${Math.round(record.cpuUsPerCall)} µs CPU/call` : "")) +
              (record.valid ? "" : ` — ${record.voidReasons.join("; ")}`),
          );
        }
      }
    } finally {
      await server.stop();
    }
  }
  return records;
}

async function runClient(
  options: RunClientBenchOptions,
  client: ClientEntry,
  workload: ClientWorkload,
  url: string,
  round: number,
): Promise<ClientRunRecord> {
  const record: ClientRunRecord = {
    round,
    workload: workload.id,
    client: client.id,
    valid: false,
    voidReasons: [],
    callsPerSec: 0,
    msgsPerSec: 0,
    cpuUsPerCall: undefined,
    cpuUsPerMessage: undefined,
    cpuShare: undefined,
  };
  const codeDir = options.codeDir ?? here;
  const load: ClientLoadOptions = {
    url,
    kind: workload.kind,
    inFlight: workload.inFlight,
    messagesPerCall: workload.messagesPerCall,
    ...(workload.openShape ? { openShape: workload.openShape } : {}),
    warmUpS: options.warmUpS,
    durationS: options.durationS,
  };
  const loader = fromSource ? ["--import", import.meta.resolve("tsx")] : [];
  const moduleUrl = pathToFileURL(join(codeDir, "clients", `${client.module}${ext}`)).href;
  const nodeCommand = [options.node.path, ...loader, join(codeDir, `client-load${ext}`), moduleUrl, JSON.stringify(load)];
  const [command, ...args] =
    options.pinning === undefined ? nodeCommand : ["taskset", "-c", String(options.pinning.client), ...nodeCommand];
  try {
    const output = await run(command!, args, (options.warmUpS + options.durationS) * 1_000 + GRACE_MS);
    const result = JSON.parse(output.trim().split("\n").at(-1)!) as ClientLoadResult;
    record.callsPerSec = result.calls / result.seconds;
    record.msgsPerSec = result.messages / result.seconds;
    if (result.calls > 0) {
      record.cpuUsPerCall = (result.cpuSeconds / result.calls) * 1e6;
      record.cpuUsPerMessage = (result.cpuSeconds / result.messages) * 1e6;
    }
    record.cpuShare = result.cpuSeconds / result.seconds;
    if (result.rssOpenKiB !== undefined) {
      record.rssBeforeKiB = result.rssBeforeKiB;
      record.rssOpenKiB = result.rssOpenKiB;
    }
    if (result.errors > 0) record.voidReasons.push(`${result.errors} call(s) failed, the first: ${result.firstError}`);
    if (result.calls === 0) record.voidReasons.push("no call completed in the measured period");
    if (workload.kind === "open-streams" && result.calls !== workload.inFlight) {
      record.voidReasons.push(`${result.calls} of ${workload.inFlight} streams opened`);
    }
  } catch (error) {
    record.voidReasons.push(error instanceof Error ? error.message.split("\n")[0]! : String(error));
  }
  record.valid = record.voidReasons.length === 0;
  return record;
}

function run(command: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs, killSignal: "SIGKILL" });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) =>
      code === 0 ? resolve(stdout) : reject(new Error(`client process exited with ${code ?? signal}: ${stderr.trim() || stdout.trim()}`)),
    );
  });
}

/** Medians of one client on one workload, with the ratios to the grpc-js client. */
export interface ClientSummaryCell {
  workload: string;
  client: string;
  validRuns: number;
  runs: number;
  callsPerSec: number | undefined;
  msgsPerSec: number | undefined;
  cpuUsPerCall: number | undefined;
  cpuUsPerMessage: number | undefined;
  /**
   * Median over rounds of msgs/s over the grpc-js client's in the same round (paired: both
   * ran against the same server process, one after the other).
   */
  vsBaseline: number | undefined;
  /** Median over rounds of the grpc-js client's CPU µs per message over ours (higher is better). */
  cpuVsBaseline: number | undefined;
  /** `open-streams`: median RSS with every stream open, KiB, and the median per-round ratio to the grpc-js client's (lower is better). */
  rssOpenKiB?: number | undefined;
  rssVsBaseline?: number | undefined;
}

/** Reduces client runs to medians per (workload, client) and paired ratios to the grpc-js client. */
export function summarizeClients(records: readonly ClientRunRecord[], workloads: readonly ClientWorkload[]): ClientSummaryCell[] {
  const cells: ClientSummaryCell[] = [];
  const clientIds = [...new Set(records.map((r) => r.client))];
  for (const workload of workloads) {
    for (const client of clientIds) {
      const all = records.filter((r) => r.workload === workload.id && r.client === client);
      if (all.length === 0) continue;
      const valid = all.filter((r) => r.valid);
      const paired = (f: (ours: ClientRunRecord, base: ClientRunRecord) => number | undefined) =>
        median(
          valid.map((ours) => {
            const base = records.find(
              (r) => r.valid && r.workload === workload.id && r.client === CLIENT_BASELINE_ID && r.round === ours.round,
            );
            return base === undefined ? undefined : f(ours, base);
          }),
        );
      cells.push({
        workload: workload.id,
        client,
        validRuns: valid.length,
        runs: all.length,
        callsPerSec: median(valid.map((r) => r.callsPerSec)),
        msgsPerSec: median(valid.map((r) => r.msgsPerSec)),
        cpuUsPerCall: median(valid.map((r) => r.cpuUsPerCall)),
        cpuUsPerMessage: median(valid.map((r) => r.cpuUsPerMessage)),
        vsBaseline: paired((ours, base) => (base.msgsPerSec > 0 ? ours.msgsPerSec / base.msgsPerSec : undefined)),
        cpuVsBaseline: paired((ours, base) =>
          ours.cpuUsPerMessage && base.cpuUsPerMessage ? base.cpuUsPerMessage / ours.cpuUsPerMessage : undefined,
        ),
        ...(workload.kind === "open-streams"
          ? {
              rssOpenKiB: median(valid.map((r) => r.rssOpenKiB)),
              rssVsBaseline: paired((ours, base) => (ours.rssOpenKiB && base.rssOpenKiB ? ours.rssOpenKiB / base.rssOpenKiB : undefined)),
            }
          : {}),
      });
    }
  }
  return cells;
}

/**
 * The client targets: `@hello/client` (generic factory, defaults on) ≥ 1.0× the
 * grpc-js client in calls/s at 1, 10 and 100 in flight with CPU per call no higher, ≥ 1.0×
 * in server-stream messages/s received; ≥ 1.0× in client-stream and bidi calls/s (short
 * calls) and messages/s (long ones); RSS with 1,000 open streams ≤ the grpc-js client's.
 */
export function evaluateClientTargets(
  cells: readonly ClientSummaryCell[],
  workloads: readonly ClientWorkload[] = createClientWorkloads(),
): TargetResult[] {
  const ours = (workload: string) => cells.find((c) => c.workload === workload && c.client === CLIENT_SUBJECT_ID);
  const results: TargetResult[] = [];
  for (const id of [...new Set(cells.map((c) => c.workload))]) {
    const workload = workloads.find((w) => w.id === id);
    if (!workload) continue;
    const cell = ours(id);
    if (workload.kind === "open-streams") {
      const ratio = cell?.rssVsBaseline;
      results.push({
        id: `${id}-rss-vs-grpc-js`,
        target: `client RSS with ${workload.inFlight} open ${workload.openShape === "bidi" ? "bidi" : "server"} streams ≤ the grpc-js client's`,
        measured:
          ratio === undefined || cell?.rssOpenKiB === undefined
            ? "—"
            : `${formatRatio(ratio, 1)}× the grpc-js client's (${Math.round(cell.rssOpenKiB / 1024)} MiB)`,
        status: ratio === undefined ? "no data" : ratio <= 1 ? "met" : "not met",
      });
      continue;
    }
    const what = clientTargetWhat(workload);
    const ratio = cell?.vsBaseline;
    results.push({
      id: `${id}-vs-grpc-js`,
      target: `client ${what} ≥ 1.0× the grpc-js client`,
      measured: ratio === undefined ? "—" : `${formatRatio(ratio, 1)}× grpc-js client`,
      status: ratio === undefined ? "no data" : ratio >= 1 ? "met" : "not met",
    });
    // CPU per call is a target of the unary and server-stream workloads only.
    if (workload.kind !== "unary" && workload.kind !== "server-stream") continue;
    const stream = workload.kind === "server-stream";
    const cpu = cell?.cpuVsBaseline;
    results.push({
      id: `${id}-cpu-vs-grpc-js`,
      target: `client CPU per ${stream ? "message" : "call"} (${stream ? "server stream" : what.split(", ")[1]}) ≤ the grpc-js client's`,
      measured:
        cpu === undefined || cell?.cpuUsPerMessage === undefined
          ? "—"
          : `${formatRatio(1 / cpu, 1)}× the grpc-js client's (${Math.round(cell.cpuUsPerMessage)} µs)`,
      status: cpu === undefined ? "no data" : cpu >= 1 ? "met" : "not met",
    });
  }
  return results;
}

/** What a client workload's throughput target counts, in words. */
function clientTargetWhat(workload: ClientWorkload): string {
  switch (workload.kind) {
    case "unary":
      return `unary calls/s, ${workload.inFlight} in flight`;
    case "server-stream":
      return "server-stream msgs/s received";
    case "client-stream":
      return workload.messagesPerCall <= SHORT_CLIENT_STREAM_MESSAGES
        ? `client-stream calls/s (${workload.messagesPerCall} requests each)`
        : "client-stream request msgs/s sent";
    default:
      return workload.messagesPerCall === 1 ? "bidi calls/s (1 request, 1 reply)" : "bidi msgs/s (sent and answered)";
  }
}
