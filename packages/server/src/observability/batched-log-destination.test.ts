import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { setImmediate as nextTurn } from "node:timers/promises";
import { type BatchedLogDestination, createBatchedLogDestination } from "./batched-log-destination.js";

/** Runs `body` with a destination writing to a new temporary file, and that file's path. */
async function withDestination(body: (destination: BatchedLogDestination, path: string) => unknown): Promise<void> {
  const path = join(mkdtempSync(join(tmpdir(), "batched-log-")), "out.log");
  const fd = openSync(path, "w");
  try {
    await body(createBatchedLogDestination({ fd }), path);
  } finally {
    closeSync(fd);
  }
}

describe("createBatchedLogDestination()", () => {
  it("writes the lines of one turn together, at the end of that turn, in order", () =>
    withDestination(async (destination, path) => {
      destination.write("a\n");
      destination.write("b\n");
      // Nothing is written during the turn that logged…
      expect(readFileSync(path, "utf8")).toBe("");
      await nextTurn();
      // …and everything right after it.
      expect(readFileSync(path, "utf8")).toBe("a\nb\n");
      destination.write("c\n");
      await nextTurn();
      expect(readFileSync(path, "utf8")).toBe("a\nb\nc\n");
    }));

  it("writes any text as UTF-8, a lone surrogate as U+FFFD (as writing the string would)", () =>
    withDestination(async (destination, path) => {
      const lines = ["café 100 €\n", "emoji 😀 and 中文\n", "lone \ud800 surrogate\n"];
      for (const line of lines) destination.write(line);
      await nextTurn();
      expect(readFileSync(path)).toEqual(Buffer.from(lines.join(""), "utf8"));
      expect(readFileSync(path, "utf8")).toContain("lone \ufffd surrogate");
    }));

  it("grows past its first buffer within a turn, keeps every line in order, and carries on in the next turn", () =>
    withDestination(async (destination, path) => {
      const many = Array.from({ length: 3000 }, (_, i) => `${String(i).padStart(6, "0")} ${"x".repeat(90)}\n`);
      const huge = `${"€".repeat(400_000)}\n`; // 1.2 MB as UTF-8, in one line
      for (const line of many) destination.write(line);
      destination.write(huge);
      await nextTurn();
      destination.write("next turn\n");
      await nextTurn();
      expect(readFileSync(path, "utf8")).toBe(`${many.join("")}${huge}next turn\n`);
    }));

  it("writes pending lines when asked to flush synchronously", () =>
    withDestination(async (destination, path) => {
      destination.write("x\n");
      destination.flushSync();
      expect(readFileSync(path, "utf8")).toBe("x\n");
    }));

  it("loses no line when the process exits in the turn that logged them (process.exit)", () => {
    // A real process running the built module: what main.ts does on SIGTERM is log, then
    // process.exit(0).
    const packageDir = join(__dirname, "..", "..");
    const module = pathToFileURL(join(packageDir, "dist", "observability", "batched-log-destination.js")).href;
    const script = `
      import { pino } from "pino";
      import { createBatchedLogDestination } from ${JSON.stringify(module)};
      const logger = pino({ base: undefined, timestamp: false }, createBatchedLogDestination());
      for (let i = 0; i < 1000; i++) logger.info({ i }, "line");
      process.exit(0);
    `;
    const stdout = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: packageDir,
      encoding: "utf8",
    });
    const lines = stdout.trim().split("\n").map((line) => JSON.parse(line) as { i: number });
    expect(lines.map((line) => line.i)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
});
