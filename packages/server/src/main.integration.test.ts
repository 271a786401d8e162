/**
 * The process as users run it: `pnpm start` from the repository root (build progress, then
 * the server in the foreground with one line saying where it listens and what it serves),
 * stopped by SIGINT (Ctrl-C: the whole process group) or SIGTERM (to the process alone),
 * each time with exit code 0 and nothing left running. Its logs are readable lines on a
 * terminal (a real one, from `script`) and JSON lines on a pipe, unless LOG_FORMAT says otherwise.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as net from "node:net";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";

const root = join(__dirname, "../../..");

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function start(command: string, args: string[], env: Record<string, string>) {
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1", ...env },
    detached: true, // its own process group, like a shell job
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const listening = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in time:\n${output}`)), 90_000);
    child.stdout?.on("data", () => {
      if (/listening on \S+: gRPC/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", () => {
      clearTimeout(timer);
      reject(new Error(`exited before listening:\n${output}`));
    });
  });
  listening.catch(() => {}); // observed by the tests that wait for it
  return { child, exited, listening, output: () => output };
}

async function sayHello(port: number): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${port}/hello.v1.HelloService/SayHello`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ greeting: "main" }),
  });
  return res.json();
}

const running: ChildProcess[] = [];
afterAll(() => {
  for (const child of running) if (child.exitCode === null && child.pid) process.kill(-child.pid, "SIGKILL");
});

describe("pnpm start", () => {
  it.each([
    ["SIGINT to the process group (Ctrl-C)", "SIGINT", true],
    ["SIGTERM to pnpm alone", "SIGTERM", false],
  ] as const)(
    "serves, then stops with exit code 0 on %s",
    async (_name, signal, group) => {
      const port = await freePort();
      const server = start("pnpm", ["start"], { PORT: String(port), HOST: "127.0.0.1" });
      running.push(server.child);
      await server.listening;
      // The build's progress comes first (turbo's task lines), then the start line.
      const output = server.output();
      expect(output.indexOf("@hello/server:build")).toBeGreaterThanOrEqual(0);
      expect(output.indexOf("@hello/server:build")).toBeLessThan(output.indexOf("listening on"));
      expect(await sayHello(port)).toEqual({ reply: "Hello, main!" });
      process.kill(group ? -server.child.pid! : server.child.pid!, signal);
      expect(await server.exited).toBe(0);
      expect(server.output()).toContain(`"signal":"${signal}"`);
      expect(await portOpen(port)).toBe(false);
    },
    120_000,
  );
});

/** The lines of `output` that are JSON objects, parsed. */
function jsonLines(output: string): Record<string, unknown>[] {
  return output
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Stops a started server with SIGTERM and waits for its exit code. */
async function stop(server: ReturnType<typeof start>): Promise<number | null> {
  process.kill(-server.child.pid!, "SIGTERM");
  return server.exited;
}

const SERVICES =
  "services hello.v1.HelloService, grpc.health.v1.Health, grpc.reflection.v1.ServerReflection, grpc.reflection.v1alpha.ServerReflection";

describe("main.js logs", () => {
  it("as JSON lines on a pipe: the start line with level, time, the real address and what it serves, then one line per call", async () => {
    const port = await freePort();
    const server = start("node", ["packages/server/dist/main.js"], { PORT: String(port), HOST: "127.0.0.1", LOG_FORMAT: "auto" });
    running.push(server.child);
    await server.listening;
    expect(await sayHello(port)).toEqual({ reply: "Hello, main!" });
    expect(await stop(server)).toBe(0);

    const [first, ...rest] = jsonLines(server.output());
    expect(first).toMatchObject({
      level: 30,
      time: expect.any(Number),
      msg: `listening on http://127.0.0.1:${port}: gRPC, gRPC-Web and Connect over HTTP/1.1 and h2c; ${SERVICES}; Prometheus metrics at /metrics`,
      listening: { url: `http://127.0.0.1:${port}`, address: `127.0.0.1:${port}`, port, protocols: ["grpc", "grpc-web", "connect"] },
    });
    expect(rest.find((line) => line["msg"] === "finished call")).toMatchObject({ level: 30, method: "SayHello", code: "OK" });
    expect(rest.at(-1)).toMatchObject({ level: 30, signal: "SIGTERM" });
    // Every line is JSON: nothing else on stdout.
    expect(server.output().trim().split("\n")).toHaveLength(rest.length + 1);
  }, 60_000);

  it("as readable lines with LOG_FORMAT=pretty, on a pipe too", async () => {
    const port = await freePort();
    const server = start("node", ["packages/server/dist/main.js"], { PORT: String(port), HOST: "127.0.0.1", LOG_FORMAT: "pretty" });
    running.push(server.child);
    await server.listening;
    expect(await sayHello(port)).toEqual({ reply: "Hello, main!" });
    expect(await stop(server)).toBe(0);

    const lines = server.output().trim().split("\n");
    expect(lines[0]).toMatch(
      new RegExp(
        `^\\[\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\] INFO: listening on http://127\\.0\\.0\\.1:${port}: gRPC, gRPC-Web and Connect over HTTP/1\\.1 and h2c; `,
      ),
    );
    expect(lines[0]).toContain(SERVICES);
    expect(lines.find((line) => line.includes("finished call"))).toMatch(
      / INFO: finished call \{"service":"hello\.v1\.HelloService","method":"SayHello",.*"code":"OK"/,
    );
    expect(lines.at(-1)).toMatch(/ INFO: shutting down: .* \{"signal":"SIGTERM"\}$/);
    // No JSON line, no pid or hostname, no second copy of the start line's facts.
    expect(lines.filter((line) => line.startsWith("{") || /"pid"|"hostname"|"listening"/.test(line))).toEqual([]);
  }, 60_000);

  it("as readable lines by default when stdout is a terminal, JSON lines when LOG_FORMAT=json", async () => {
    // util-linux's `script` runs the command on a pseudo-terminal: stdout is a real TTY.
    const onTerminal = async (logFormat: string) => {
      const port = await freePort();
      const command = `exec env PORT=${port} HOST=127.0.0.1 LOG_FORMAT=${logFormat} ${process.execPath} packages/server/dist/main.js`;
      const server = start("script", ["-q", "-f", "-e", "-c", command, "/dev/null"], {});
      running.push(server.child);
      await server.listening;
      expect(await stop(server)).toBe(0);
      // A terminal's line ends are CRLF, and pino-pretty colors what it writes to one.
      return stripVTControlCharacters(server.output()).replace(/\r/g, "");
    };
    const auto = await onTerminal("auto");
    expect(auto).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: listening on http:\/\/127\.0\.0\.1:\d+: gRPC/m);
    expect(auto).not.toContain('"level":30');
    const json = await onTerminal("json");
    expect(jsonLines(json)[0]).toMatchObject({ level: 30, msg: expect.stringMatching(/^listening on http:\/\/127\.0\.0\.1:\d+: gRPC/) });
  }, 60_000);
});

describe("main.js", () => {
  it("refuses an invalid environment at start, naming the variable", async () => {
    const server = start("node", ["packages/server/dist/main.js"], { PORT: "not-a-port" });
    running.push(server.child);
    expect(await server.exited).not.toBe(0);
    expect(server.output()).toMatch(/invalid environment: PORT/);
  });

  it("says in one line, without a stack, that the port is in use", async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as net.AddressInfo;
    try {
      const server = start("node", ["packages/server/dist/main.js"], { PORT: String(port), HOST: "127.0.0.1" });
      running.push(server.child);
      expect(await server.exited).toBe(78);
      expect(server.output().trim()).toBe(
        `error: cannot listen on 127.0.0.1 port ${port}: it is already in use (another server?) — set PORT (or HOST) to another value`,
      );
    } finally {
      taken.close();
    }
  });
});
