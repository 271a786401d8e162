/**
 * `scripts/test-totals.mjs`, which `.ci/run` ends with: CI shows only the end of the log,
 * so the totals line and the list of failures above it are all anyone sees of a failed
 * run. Real turbo logs interleave the lines of tasks running side by side, each prefixed
 * with its task; these logs are shaped like them.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root } from "./test-support/server-bundle.js";

const script = join(root, "scripts/test-totals.mjs");
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "hello-test-totals-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the script on `log` as .ci/run does (a file argument); stdout lines and exit code. */
function totals(log: string): { lines: string[]; status: number | null } {
  const file = join(dir, `log-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(file, log);
  const result = spawnSync(process.execPath, [script, file], { encoding: "utf8", timeout: 20_000 });
  return { lines: result.stdout.trimEnd().split("\n"), status: result.status };
}

describe("scripts/test-totals.mjs", () => {
  it("sums every task's jest totals, with or without turbo's prefix, into one last line", () => {
    const { lines, status } = totals(
      [
        "@hello/sdk:test: Tests:       12 passed, 12 total",
        "@hello/server:test:node24: Tests:       3 skipped, 40 passed, 43 total",
        "Tests:       5 passed, 5 total",
        "",
      ].join("\n"),
    );
    expect(lines).toEqual(["57 passed, 0 failed"]);
    expect(status).toBe(0);
  });

  it("names each failing test with its own task's error lines when tasks interleave", () => {
    const log = [
      "@hello/server:test: FAIL src/a.test.ts",
      "@hello/client:test: FAIL src/b.test.ts",
      "@hello/server:test:   ● a › breaks",
      "@hello/client:test:   ● b › also breaks",
      "@hello/server:test: ",
      "@hello/client:test: ",
      "@hello/server:test:     expect(received).toBe(expected)",
      "@hello/client:test:     Error: connect ECONNREFUSED 127.0.0.1:1",
      "@hello/server:test:     Expected: 1",
      "@hello/server:test: Tests:       1 failed, 9 passed, 10 total",
      "@hello/client:test: Tests:       1 failed, 4 passed, 5 total",
    ].join("\n");
    const { lines, status } = totals(log);
    expect(status).toBe(1);
    expect(lines.at(-1)).toBe("13 passed, 2 failed");
    const failingTest = (title: string) => lines.findIndex((l) => l.trim() === title);
    const server = failingTest("@hello/server:test: ● a › breaks");
    const client = failingTest("@hello/client:test: ● b › also breaks");
    expect(server).toBeGreaterThan(-1);
    expect(client).toBeGreaterThan(-1);
    // The lines listed under each test are its own task's, and only those.
    expect(lines.slice(server + 1, server + 3).map((l) => l.trim())).toEqual(["expect(received).toBe(expected)", "Expected: 1"]);
    expect(lines[client + 1]?.trim()).toBe("Error: connect ECONNREFUSED 127.0.0.1:1");
    expect(lines).toContain("  @hello/server:test: FAIL src/a.test.ts");
  });

  it("lists nothing for a passing run whose output has a ● line of its own", () => {
    const { lines, status } = totals(
      [
        "@hello/sdk:test: ● Validation Warning:",
        "@hello/sdk:test:   Unknown option",
        "@hello/sdk:test: Tests:       4 passed, 4 total",
      ].join("\n"),
    );
    expect(lines).toEqual(["4 passed, 0 failed"]);
    expect(status).toBe(0);
  });

  it("counts a suite that failed to run (jest counts none of its tests) as a failure, once per suite", () => {
    const failedToRun = (suite: string, task = "@hello/server:test") => [
      `${task}: FAIL ${suite}`,
      `${task}:   ● Test suite failed to run`,
      `${task}: `,
      `${task}:     Configuration error:`,
      `${task}: `,
      `${task}:     Could not locate module ./does-not-exist.js mapped as:`,
    ];
    const { lines, status } = totals(
      [
        ...failedToRun("src/a.test.ts"),
        ...failedToRun("src/b.test.ts"),
        "@hello/sdk:test: Tests:       4 passed, 4 total",
        // jest's closing summary repeats a failed suite; it is still one failure.
        ...failedToRun("src/a.test.ts"),
        "@hello/server:test: Test Suites: 2 failed, 3 passed, 5 total",
        "@hello/server:test: Tests:       9 passed, 9 total",
      ].join("\n"),
    );
    expect(status).toBe(1);
    expect(lines.at(-1)).toBe("13 passed, 2 failed");
    expect(lines).toContain("  @hello/server:test: ● Test suite failed to run (FAIL src/a.test.ts)");
    expect(lines).toContain("  @hello/server:test: ● Test suite failed to run (FAIL src/b.test.ts)");
    expect(lines.map((l) => l.trim())).toContain("Could not locate module ./does-not-exist.js mapped as:");
  });

  it("counts failures to run that no FAIL line names one by one, not as the suite before them", () => {
    const { lines, status } = totals(
      [
        "@hello/server:test: FAIL src/a.test.ts",
        "@hello/server:test:   ● a › breaks",
        "@hello/server:test: PASS src/b.test.ts",
        "@hello/server:test:   ● Test suite failed to run",
        "@hello/server:test:   ● Test suite failed to run",
        "@hello/server:test: Tests:       1 failed, 3 passed, 4 total",
      ].join("\n"),
    );
    expect(status).toBe(1);
    expect(lines.at(-1)).toBe("3 passed, 3 failed");
    expect(lines).toContain("  @hello/server:test: ● Test suite failed to run (unknown suite)");
  });

  it("fails when no test ran at all", () => {
    const { lines, status } = totals("@hello/sdk:build: done\n");
    expect(lines).toEqual(["0 passed, 0 failed"]);
    expect(status).toBe(1);
  });
});
