#!/usr/bin/env node
// `pnpm conformance`: the conformance suite against the project's server (fast path on, then
// off) and its client, each run's failures and totals as they finish. Exits 1 when any run
// has a failure. Arguments pick runs by id (see conformance-runs.ts); none runs all three.
//
// Usage: node dist/main.js [server-fast-path-on] [server-fast-path-off] [client]
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CONFORMANCE_RUNS } from "./conformance-runs.js";
import { readEnv } from "./env.js";
import { locateRunner } from "./locate-runner.js";
import { runConformance } from "./run-conformance.js";

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const picked = process.argv.slice(2);
const unknown = picked.filter((id) => !CONFORMANCE_RUNS.some((run) => run.id === id));
if (unknown.length > 0) {
  console.error(`unknown run ${unknown.join(", ")}: pick from ${CONFORMANCE_RUNS.map((run) => run.id).join(", ")}`);
  process.exit(2);
}
const runs = picked.length === 0 ? CONFORMANCE_RUNS : CONFORMANCE_RUNS.filter((run) => picked.includes(run.id));

const runner = await locateRunner({ env: readEnv(), repoRoot: resolve(packageDir, "../..") });
console.log(`runner: ${runner}`);
const lines: string[] = [];
let ok = true;
for (const run of runs) {
  console.log(`\n== conformance ${run.title}`);
  const started = Date.now();
  const totals = await runConformance(run, { runner, packageDir, output: (chunk) => process.stdout.write(chunk) });
  const seconds = Math.round((Date.now() - started) / 1000);
  lines.push(`conformance ${run.title}: ${totals.passed} passed, ${totals.failed} failed of ${totals.total} (${seconds} s)`);
  ok &&= totals.exitCode === 0 && totals.failed === 0;
}
console.log(`\n${lines.join("\n")}`);
process.exit(ok ? 0 : 1);
