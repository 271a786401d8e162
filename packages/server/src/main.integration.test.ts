/**
 * The process as users run it: `pnpm start` from the repository root (build, then the
 * server in the foreground), stopped by SIGINT (Ctrl-C: the whole process group) or
 * SIGTERM (to the process alone), each time with exit code 0 and nothing left running.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as net from "node:net";
import { join } from "node:path";

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
      if (output.includes('"msg":"listening"')) {
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
  ] as const)("serves, then stops with exit code 0 on %s", async (_name, signal, group) => {
    const port = await freePort();
    const server = start("pnpm", ["start"], { PORT: String(port), HOST: "127.0.0.1" });
    running.push(server.child);
    await server.listening;
    expect(await sayHello(port)).toEqual({ reply: "Hello, main!" });
    process.kill(group ? -server.child.pid! : server.child.pid!, signal);
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain(`"signal":"${signal}"`);
    expect(await portOpen(port)).toBe(false);
  }, 120_000);
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
