#!/usr/bin/env node
// Sums jest's "Tests: …" lines of a whole `pnpm test` log (every package, both Node
// versions) and prints "N passed, N failed" alone on a line. Exits 1 when any test failed
// or when no test ran at all.
//
// CI shows only the tail of the log, so when something failed the failing suites and test
// titles (with the turbo task that ran them) are listed just above the totals: without
// them a failure far up the log cannot be read from CI's output at all.
import { readFileSync } from "node:fs";

const log = readFileSync(process.argv[2] ?? 0, "utf8");
let passed = 0;
let failed = 0;
let runs = 0;
const failures = [];
const lines = log.split("\n");
for (const [index, line] of lines.entries()) {
  // jest marks a failing suite "FAIL path" and each failing test "● title › title" followed
  // by its error; "● Console" only introduces captured console output.
  if (/\bFAIL\s+\S/.test(line) || (/●\s/.test(line) && !/●\s+Console\b/.test(line))) {
    const entry = line.trim();
    if (failures.some((f) => f[0] === entry)) continue;
    // The error's first lines say what went wrong; jest prints the title twice (again in
    // its summary), the first occurrence carries the message.
    const following = lines.slice(index + 1, index + 16);
    const end = following.findIndex((l) => /●|\bPASS\s|\bFAIL\s|Tests:/.test(l));
    const message = following
      .slice(0, end === -1 ? undefined : end)
      .map((l) => l.trimEnd())
      .filter((l) => !/:\s*$/.test(l) || l.trim().length > 30)
      .slice(0, 8);
    failures.push([entry, ...(/●/.test(line) ? message : [])]);
  }
  const m = /Tests:\s+(.*\d+ total)/.exec(line);
  if (!m) continue;
  runs++;
  passed += Number(/(\d+) passed/.exec(m[1])?.[1] ?? 0);
  failed += Number(/(\d+) failed/.exec(m[1])?.[1] ?? 0);
}
if (failures.length > 0) {
  console.log("Failing suites and tests:");
  for (const [entry, ...message] of failures.slice(0, 20)) {
    console.log(`  ${entry}`);
    for (const l of message) console.log(`      ${l}`);
  }
  if (failures.length > 20) console.log(`  … and ${failures.length - 20} more`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || runs === 0 || passed === 0 ? 1 : 0);
