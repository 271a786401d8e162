import { join, resolve } from "node:path";
import { CONFORMANCE_RUNS } from "./conformance-runs.js";
import { readEnv } from "./env.js";
import { locateRunner } from "./locate-runner.js";
import { runConformance } from "./run-conformance.js";

// The runs start the programs under test from dist/: turbo builds this package (and the
// server and client it imports) before `test`.
const packageDir = join(__dirname, "..");
const env = readEnv();
const runs = CONFORMANCE_RUNS.filter((run) => env.CONFORMANCE_RUNS?.includes(run.id) ?? true);

// scripts/test-conformance.sh runs this file once per supported Node: titles name the major.
const node = `Node ${process.versions.node.split(".")[0]}`;

describe(`connectrpc conformance suite on ${node}`, () => {
  let runner: string;

  beforeAll(async () => {
    // No runner fails the suite here, loudly: it is never skipped.
    runner = await locateRunner({ env, repoRoot: resolve(packageDir, "../..") });
  });

  it.each(runs.map((run) => [run.title, run] as const))("%s: every case passes", async (_title, run) => {
    const totals = await runConformance(run, {
      runner,
      packageDir,
      // The runner prints only failures and its totals: show them as they come.
      output: (chunk) => process.stdout.write(chunk),
    });
    process.stdout.write(`conformance ${run.title} on ${node}: ${totals.passed} passed, ${totals.failed} failed of ${totals.total}\n`);
    expect(totals.failures).toEqual([]);
    expect(totals.failed).toBe(0);
    expect(totals.exitCode).toBe(0);
  });
});
