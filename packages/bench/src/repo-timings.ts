import { execFileSync, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** One timed command in the fresh clone. */
export interface TimedStep {
  command: string;
  seconds: number;
  exitCode: number | null;
  /** The last lines of its output when it failed. */
  tail?: string;
}

/** Developer-loop timings of a fresh clone. */
export interface RepoTimings {
  /** The commit that was cloned (uncommitted work is not in a clone). */
  commit: string;
  /** Cold: new clone, no node_modules, no turbo cache (the pnpm store on this machine is reused). */
  coldInstall: TimedStep;
  coldTest: TimedStep;
  /** `pnpm test` again: turbo replays cached tasks. */
  cachedTest: TimedStep;
}

/**
 * Clones the repository (HEAD) into a temporary directory and times `pnpm install`,
 * `pnpm test`, and `pnpm test` once more (turbo cache hits). Takes minutes: behind
 * `--repo-timings`.
 */
export async function measureRepoTimings(repoRoot: string, log: (line: string) => void): Promise<RepoTimings> {
  const dir = await mkdtemp(join(tmpdir(), "hello-rpc-timings-"));
  const clone = join(dir, "hello-rpc");
  try {
    const commit = execFileSync("git", ["-C", repoRoot, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
    execFileSync("git", ["clone", "--quiet", repoRoot, clone]);
    const step = async (args: string[]) => {
      log(`repo timings: pnpm ${args.join(" ")} in ${clone}`);
      const result = await timed("pnpm", args, clone);
      log(`  ${result.seconds.toFixed(1)} s, exit ${result.exitCode}`);
      return result;
    };
    const coldInstall = await step(["install", "--frozen-lockfile"]);
    const coldTest = await step(["test"]);
    const cachedTest = await step(["test"]);
    return { commit, coldInstall, coldTest, cachedTest };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function timed(command: string, args: string[], cwd: string): Promise<TimedStep> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { cwd, env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("close", (exitCode) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const step: TimedStep = { command: `${command} ${args.join(" ")}`, seconds, exitCode };
      if (exitCode !== 0) step.tail = output.split("\n").slice(-30).join("\n");
      resolve(step);
    });
  });
}
