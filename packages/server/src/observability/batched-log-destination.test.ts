import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { closeSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { setTimeout as delay, setImmediate as nextTurn } from "node:timers/promises";
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

  it("keeps every line, in order, when its socket or pipe is full (what cannot be written at once goes through sonic-boom)", async () => {
    // A real process writing to a non-blocking socket that this test stops reading: its
    // writes fail with EAGAIN or write part of a turn (as on a full pipe that another
    // process made non-blocking), and must lose and reorder nothing.
    const packageDir = join(__dirname, "..", "..");
    const module = pathToFileURL(join(packageDir, "dist", "observability", "batched-log-destination.js")).href;
    const path = join(mkdtempSync(join(tmpdir(), "batched-log-")), "log.sock");
    const received: Buffer[] = [];
    const server = createServer((socket) => {
      // Not read for a while: the socket's buffers fill up after a few turns (~40 KiB each).
      socket.pause();
      setTimeout(() => socket.resume(), 300);
      socket.on("data", (chunk: Buffer) => received.push(chunk));
    });
    server.listen(path);
    await once(server, "listening");
    const script = `
      import { connect } from "node:net";
      import { once } from "node:events";
      import { setImmediate as nextTurn } from "node:timers/promises";
      import { createBatchedLogDestination } from ${JSON.stringify(module)};
      const socket = connect(${JSON.stringify(path)});
      await once(socket, "connect");
      // The connected socket's file descriptor, which libuv made non-blocking.
      const destination = createBatchedLogDestination({ fd: socket._handle.fd });
      let n = 0;
      for (let turn = 0; turn < 60; turn++) {
        for (let i = 0; i < 200; i++) destination.write(String(n++).padStart(7, "0") + " ${"x".repeat(200)}\\n");
        await nextTurn();
      }
      destination.flushSync();
      socket.end();
    `;
    try {
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: packageDir, stdio: "inherit" });
      const [code] = (await once(child, "exit")) as [number | null];
      expect(code).toBe(0);
      await delay(100);
      const numbers = Buffer.concat(received)
        .toString("utf8")
        .trimEnd()
        .split("\n")
        .map((line) => Number(line.slice(0, 7)));
      expect(numbers).toEqual(Array.from({ length: 12_000 }, (_, i) => i));
    } finally {
      server.close();
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
    const lines = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { i: number });
    expect(lines.map((line) => line.i)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
});
