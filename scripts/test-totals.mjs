#!/usr/bin/env node
// Sums jest's "Tests: …" lines of a whole `pnpm test` log (every package, both Node
// versions) and prints "N passed, N failed" alone on a line. A suite that failed to run
// (a compile or import error: jest counts none of its tests) counts as one failed test, so
// the line never reads "0 failed" for a run that lost a suite (a suite whose tests failed
// and that then failed as a whole, e.g. in afterAll, counts one more). Exits 1 when anything
// failed or when no test ran at all.
//
// CI shows only the tail of the log, so when something failed the failing suites and test
// titles (with the turbo task that ran them) are listed just above the totals: without
// them a failure far up the log cannot be read from CI's output at all.
import { readFileSync } from "node:fs";

// Colours, should a tool write them into the log anyway (FORCE_COLOR, a TTY under `script`).
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes start with ESC.
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
// turbo's prefix of a task's output lines: "@hello/server:test: ", "@hello/server:test:node24: ",
// "//:system-deps: " (nothing may follow on a blank line). A package and a task, so at least
// one colon inside: a bare `^\S+:\s` would also take "Tests: " off an unprefixed jest line.
const TASK_PREFIX = /^([^\s:]+(?::[^\s:]+)+):(?:\s|$)/;

const log = readFileSync(process.argv[2] ?? 0, "utf8");

// Every line as its task and its text without the prefix, and each task's lines apart:
// turbo runs tasks side by side, so their lines interleave in the log.
const linesOfTask = new Map();
const lines = log.split("\n").map((raw) => {
  const line = raw.replace(ANSI, "").replace(/\r$/, "");
  const prefix = TASK_PREFIX.exec(line);
  const task = prefix?.[1] ?? "";
  const text = prefix ? line.slice(prefix[0].length) : line;
  let own = linesOfTask.get(task);
  if (own === undefined) linesOfTask.set(task, (own = []));
  own.push(text);
  return { task, text, index: own.length - 1 };
});

let passed = 0;
let failed = 0;
let runs = 0;
let sawFail = false;
// Per task, the suite of the last "FAIL path" line; and the suites that failed to run.
const failingSuiteOfTask = new Map();
const suitesFailedToRun = new Set();
const failures = [];
const listed = new Set();
for (const { task, text, index } of lines) {
  // jest marks a failing suite "FAIL path" and each failing test "● title › title" followed
  // by its error; "● Console" only introduces captured console output.
  const isFail = /^\s*FAIL\s+\S/.test(text);
  const isTest = /^\s*●\s/.test(text) && !/^\s*●\s+Console\b/.test(text);
  sawFail ||= isFail;
  if (isFail) failingSuiteOfTask.set(task, text.trim());
  // A suite's report ends where the next suite's or the run's summary starts.
  else if (/^\s*(?:PASS\s|Test Suites:|Tests:)/.test(text)) failingSuiteOfTask.delete(task);
  const failedToRun = /^\s*●\s+Test suite failed to run\b/.test(text);
  // Keyed by task and suite (jest may print a suite's failure again in its summary); a
  // failure that no FAIL line names counts on its own.
  if (failedToRun) suitesFailedToRun.add(`${task}\n${failingSuiteOfTask.get(task) ?? `line ${index}`}`);
  if (isFail || isTest) {
    // "● Test suite failed to run" reads the same for every suite: name the suite.
    const title = failedToRun ? `${text.trim()} (${failingSuiteOfTask.get(task) ?? "unknown suite"})` : text.trim();
    const entry = `${task === "" ? "" : `${task}: `}${title}`;
    if (listed.has(entry)) continue;
    listed.add(entry);
    // The error's first lines say what went wrong, from this task's lines only; jest prints
    // the title twice (again in its summary), the first occurrence carries the message.
    const following = linesOfTask.get(task).slice(index + 1, index + 16);
    const end = following.findIndex((l) => /^\s*(?:●\s|PASS\s|FAIL\s|Test Suites:|Tests:)/.test(l));
    const message = following
      .slice(0, end === -1 ? undefined : end)
      .map((l) => l.trimEnd())
      .filter((l) => l !== "")
      .slice(0, 8);
    failures.push([entry, ...(isTest ? message : [])]);
  }
  const m = /Tests:\s+(.*\d+ total)/.exec(text);
  if (!m) continue;
  runs++;
  passed += Number(/(\d+) passed/.exec(m[1])?.[1] ?? 0);
  failed += Number(/(\d+) failed/.exec(m[1])?.[1] ?? 0);
}
failed += suitesFailedToRun.size;
// A "●" line alone is no failure (jest's "● Validation Warning:", a test's own output).
if ((failed > 0 || sawFail) && failures.length > 0) {
  console.log("Failing suites and tests:");
  for (const [entry, ...message] of failures.slice(0, 20)) {
    console.log(`  ${entry}`);
    for (const l of message) console.log(`      ${l}`);
  }
  if (failures.length > 20) console.log(`  … and ${failures.length - 20} more`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || runs === 0 || passed === 0 ? 1 : 0);
