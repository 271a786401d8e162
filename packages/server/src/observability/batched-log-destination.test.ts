import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { setImmediate as nextTurn } from "node:timers/promises";
import { createBatchedLogDestination } from "./batched-log-destination.js";

function tempFile(): string {
  return join(mkdtempSync(join(tmpdir(), "batched-log-")), "out.log");
}

describe("createBatchedLogDestination()", () => {
  it("writes the lines of one turn together, at the end of that turn, in order", async () => {
    const path = tempFile();
    const fd = openSync(path, "w");
    try {
      const destination = createBatchedLogDestination({ fd });
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
    } finally {
      closeSync(fd);
    }
  });

  it("writes pending lines when asked to flush synchronously", () => {
    const path = tempFile();
    const fd = openSync(path, "w");
    try {
      const destination = createBatchedLogDestination({ fd });
      destination.write("x\n");
      destination.flushSync();
      expect(readFileSync(path, "utf8")).toBe("x\n");
    } finally {
      closeSync(fd);
    }
  });

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
