#!/usr/bin/env node
// Sums jest's "Tests: …" lines of a whole `pnpm test` log (every package, both Node
// versions) and prints "N passed, N failed" alone on a line. Exits 1 when any test failed
// or when no test ran at all.
import { readFileSync } from "node:fs";

const log = readFileSync(process.argv[2] ?? 0, "utf8");
let passed = 0;
let failed = 0;
let runs = 0;
for (const line of log.split("\n")) {
  const m = /Tests:\s+(.*\d+ total)/.exec(line);
  if (!m) continue;
  runs++;
  passed += Number(/(\d+) passed/.exec(m[1])?.[1] ?? 0);
  failed += Number(/(\d+) failed/.exec(m[1])?.[1] ?? 0);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || runs === 0 || passed === 0 ? 1 : 0);
