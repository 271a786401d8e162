import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Workload } from "./workloads.js";

const run = promisify(execFile);

/** One h2load run against one server. */
export interface H2loadOptions {
  url: string;
  workload: Workload;
  /** `-D`: measured seconds. */
  durationS: number;
  /** `--warm-up-time` in seconds (0: none). */
  warmUpS: number;
  /** Pin h2load to this CPU with `taskset -c`; undefined: no pinning. */
  cpu: number | undefined;
}

/** What h2load reported, plus latency percentiles from its per-request log. */
export interface H2loadResult {
  /** The exact command, for the record. */
  command: string;
  /** h2load's own req/s figure (done requests over the measured duration). */
  reqPerSec: number;
  requests: { total: number; started: number; done: number; succeeded: number; failed: number; errored: number; timeout: number };
  statusCodes: { "2xx": number; "3xx": number; "4xx": number; "5xx": number };
  /** Bytes received: all, headers, DATA payload. */
  traffic: { total: number; headers: number; data: number };
  /** Request latency over the measured calls that answered 200, in milliseconds. */
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number; samples: number };
}

/**
 * Runs h2load with the workload's request (`-d` body, headers, POST) for a fixed time
 * and parses its summary. Per-request latencies come from `--log-file` (h2load itself only
 * prints min/max/mean/sd), counting calls of the measured period that got HTTP 200.
 */
export async function runH2load(options: H2loadOptions): Promise<H2loadResult> {
  const { workload } = options;
  const dir = await mkdtemp(join(tmpdir(), "hello-bench-h2load-"));
  try {
    const bodyFile = join(dir, "body.bin");
    const logFile = join(dir, "requests.log");
    await writeFile(bodyFile, workload.body);
    const ms = (seconds: number) => `${Math.round(seconds * 1_000)}ms`;
    const h2loadArgs = [
      ...(workload.httpVersion === "h1" ? ["--h1"] : []),
      "-D",
      ms(options.durationS),
      ...(options.warmUpS > 0 ? ["--warm-up-time", ms(options.warmUpS)] : []),
      "-c",
      String(workload.clients),
      "-m",
      String(workload.streamsPerClient),
      "-t",
      "1",
      "-d",
      bodyFile,
      ...Object.entries(workload.headers).flatMap(([key, value]) => ["-H", `${key}: ${value}`]),
      `--log-file=${logFile}`,
      `${options.url}${workload.path}`,
    ];
    const [command, ...args] =
      options.cpu === undefined ? ["h2load", ...h2loadArgs] : ["taskset", "-c", String(options.cpu), "h2load", ...h2loadArgs];
    const timeoutMs = (options.durationS + options.warmUpS + 30) * 1_000;
    const { stdout } = await run(command!, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
    const summary = parseH2loadOutput(stdout);
    const latencyMs = latencyFromLog(await readFile(logFile, "utf8"));
    return { command: [command, ...args].join(" ").replace(dir, "<tmp>").replace(dir, "<tmp>"), ...summary, latencyMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Parses the summary h2load prints at the end of a run. Throws when a line is missing. */
export function parseH2loadOutput(text: string): Omit<H2loadResult, "command" | "latencyMs"> {
  const match = (re: RegExp, what: string) => {
    const m = re.exec(text);
    if (!m) throw new Error(`h2load output has no ${what} line:\n${text.slice(-2_000)}`);
    return m;
  };
  const finished = match(/finished in [\d.]+\w+, ([\d.]+) req\/s/, "'finished in'");
  const req = match(
    /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/,
    "'requests:'",
  );
  const codes = match(/status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/, "'status codes:'");
  const traffic = match(/traffic: .*?\((\d+)\) total, .*?\((\d+)\) headers .*?, .*?\((\d+)\) data/, "'traffic:'");
  const n = (s: string | undefined) => Number(s);
  return {
    reqPerSec: n(finished[1]),
    requests: {
      total: n(req[1]),
      started: n(req[2]),
      done: n(req[3]),
      succeeded: n(req[4]),
      failed: n(req[5]),
      errored: n(req[6]),
      timeout: n(req[7]),
    },
    statusCodes: { "2xx": n(codes[1]), "3xx": n(codes[2]), "4xx": n(codes[3]), "5xx": n(codes[4]) },
    traffic: { total: n(traffic[1]), headers: n(traffic[2]), data: n(traffic[3]) },
  };
}

/**
 * Latency percentiles from h2load's `--log-file` (tab-separated: start time µs, HTTP
 * status, µs until the end of the response), over the calls that answered 200. h2load logs
 * the measured period only; calls cut off at the end have status 0 and are left out.
 */
export function latencyFromLog(log: string): H2loadResult["latencyMs"] {
  const micros: number[] = [];
  for (const line of log.split("\n")) {
    const [, status, elapsed] = line.split("\t");
    if (status === "200" && elapsed !== undefined) micros.push(Number(elapsed));
  }
  micros.sort((a, b) => a - b);
  const at = (q: number) => (micros.length === 0 ? NaN : micros[Math.min(micros.length - 1, Math.ceil(q * micros.length) - 1)]! / 1_000);
  const mean = micros.length === 0 ? NaN : micros.reduce((a, b) => a + b, 0) / micros.length / 1_000;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1), mean, samples: micros.length };
}
