import { spawn } from "node:child_process";
import type { ConformanceRun } from "./conformance-runs.js";

/** Options of {@link runConformance}. */
export interface RunConformanceOptions {
  /** The `connectconformance` binary (see `locateRunner`). */
  runner: string;
  /** This package's folder: configs and programs are relative to it. */
  packageDir: string;
  /**
   * Calls in flight at once: the runner's `--parallel` in server mode, the client under
   * test's in client mode. Default {@link DEFAULT_PARALLEL}.
   */
  parallel?: number;
  /**
   * Programs under test (server mode) or reference servers (client mode) running at once:
   * the runner's `--max-servers`. Default {@link DEFAULT_MAX_SERVERS}.
   */
  maxServers?: number;
  /** Receives the runner's output as it comes (failures, then totals). Default: dropped. */
  output?: (chunk: string) => void;
}

/**
 * Default calls in flight per program. Most cases wait on delays and deadlines, not CPU,
 * yet every call must be answered well within its case's timing: "Deadline Propagation"
 * checks that the server saw the client's timeout within the runner's grace (a few hundred
 * milliseconds) of its being set, which 32 calls at once (the runner's defaults, 4 servers
 * × 8 calls) on two busy cores did not always meet.
 */
export const DEFAULT_PARALLEL = 4;

/** Default programs at once: one, so that the calls in flight are {@link DEFAULT_PARALLEL} at most. */
export const DEFAULT_MAX_SERVERS = 1;

/** What a run counted, from the runner's closing lines. */
export interface ConformanceTotals {
  run: ConformanceRun;
  total: number;
  passed: number;
  failed: number;
  /** The runner's exit code: 0 only when every case passed and every known failure failed. */
  exitCode: number;
  /** The full names of the failing cases. */
  failures: string[];
}

/**
 * Runs the conformance runner once for a {@link ConformanceRun} and returns its totals.
 * Rejects when the runner ends without them (it could not start, or the program under test
 * could not). In client mode the runner makes the reference servers' certificate itself and
 * hands it to the client under test in each TLS case's request.
 */
export async function runConformance(run: ConformanceRun, options: RunConformanceOptions): Promise<ConformanceTotals> {
  const parallel = String(options.parallel ?? DEFAULT_PARALLEL);
  const args = [
    "--mode",
    run.mode,
    "--conf",
    run.config,
    "--known-failing",
    `@${run.knownFailing}`,
    "--known-flaky",
    `@${run.knownFlaky}`,
    "--max-servers",
    String(options.maxServers ?? DEFAULT_MAX_SERVERS),
  ];
  const program = [process.execPath, ...run.program];
  if (run.mode === "server") args.push("--parallel", parallel);
  else program.push(`--parallel=${parallel}`);
  const { code, output } = await spawnRunner(options.runner, [...args, "--", ...program], {
    cwd: options.packageDir,
    env: process.env,
    ...(options.output ? { onOutput: options.output } : {}),
  });
  return { run, ...totalsOf(output), exitCode: code, failures: failuresOf(output) };
}

interface SpawnOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  onOutput?: (chunk: string) => void;
}

function spawnRunner(runner: string, args: string[], options: SpawnOptions): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(runner, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const take = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      options.onOutput?.(text);
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output }));
  });
}

/** The runner's closing lines: "Total cases: N", then "P passed, F failed". */
function totalsOf(output: string): { total: number; passed: number; failed: number } {
  const total = /^Total cases: (\d+)$/m.exec(output);
  const counts = /^(\d+) passed, (\d+) failed$/m.exec(output);
  if (total === null || counts === null) {
    throw new Error(`the conformance runner ended without totals:\n${output.slice(-4_000)}`);
  }
  return { total: Number(total[1]), passed: Number(counts[1]), failed: Number(counts[2]) };
}

/** The names of failing cases: the runner starts each one's report with "FAILED: <name>:". */
function failuresOf(output: string): string[] {
  return [...output.matchAll(/^FAILED: (.+):$/gm)].map((match) => match[1] ?? "");
}
