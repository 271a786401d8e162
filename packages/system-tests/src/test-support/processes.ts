/**
 * Child processes for system tests: each one is started in its own process group, and
 * `stopAll()` (call it in afterAll) ends every one still running, whatever happened; every
 * wait has a time limit.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { accessSync, closeSync, constants, mkdtempSync, openSync, readFileSync, realpathSync, rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";

const running: ChildProcess[] = [];
const tempDirs: string[] = [];

/** Stops every process started here that still runs, and removes the temporary directories. */
export async function stopAll(): Promise<void> {
  await Promise.all(running.map((child) => stop(child, "SIGTERM", 5_000)));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}

/** A running child process and what it wrote. */
export interface Started {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** The exit code, or null when a signal ended it. */
  exited: Promise<number | null>;
}

/**
 * Starts a process in its own process group. With `stdoutFile`, its stdout goes to that file
 * instead of a pipe: nginx reopens /dev/stdout for its access log, which fails (ENXIO) on
 * the socket Node gives a child for a pipe.
 */
export function start(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; stdoutFile?: string }): Started {
  const stdoutFd = options.stdoutFile !== undefined ? openSync(options.stdoutFile, "a") : undefined;
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ["ignore", stdoutFd ?? "pipe", "pipe"],
  });
  if (stdoutFd !== undefined) closeSync(stdoutFd);
  running.push(child);
  let output = "";
  let stdout = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const file = options.stdoutFile;
  return file === undefined
    ? { child, output: () => output, stdout: () => stdout, exited }
    : { child, output: () => `${readFileSync(file, "utf8")}${output}`, stdout: () => readFileSync(file, "utf8"), exited };
}

/** Signals a child's process group; SIGKILLs it when it has not exited after `graceMs`. */
export async function stop(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  kill(child, signal);
  await within(graceMs, exited, undefined);
  // Also reaps what the child left in its group (nginx workers outlive a killed master).
  kill(child, "SIGKILL");
}

/** Sends `signal` to the child's whole process group, if it still exists. */
export function kill(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // Already gone.
  }
}

/** The promise's value, or `fallback` once `ms` have passed (the timer never outlives it). */
export async function within<T, F>(ms: number, promise: Promise<T>, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<F>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until `predicate` holds, checking every 20 ms; fails after `ms` with `what`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms}ms waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs a command to its end with a time limit; fails with its output when it fails. */
export async function run(command: string, args: string[], options: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv }) {
  try {
    return await promisify(execFile)(command, args, {
      cwd: options.cwd,
      timeout: options.timeoutMs,
      killSignal: "SIGKILL",
      maxBuffer: 16 * 1024 * 1024,
      env: options.env ?? { ...process.env, TURBO_TELEMETRY_DISABLED: "1" },
    });
  } catch (e) {
    const error = e as Error & { stdout?: string; stderr?: string; code?: number | string };
    const output = `${error.stdout ?? ""}\n${error.stderr ?? error.message}`;
    throw new Error(`${command} ${args.join(" ")} failed (${error.code}):\n${output}`);
  }
}

/** A tool the suite cannot do without: its absolute path, or an error saying how to get it. */
export function requireExecutable(name: string, extraDirs: string[] = []): string {
  for (const dir of [...(process.env["PATH"] ?? "").split(delimiter), ...extraDirs]) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  throw new Error(`${name} is not installed, and this suite needs it: run scripts/ensure-system-deps.sh (or apt-get install ${name})`);
}

/** A TCP port on 127.0.0.1 that nothing listened on a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.once("error", reject);
  });
}

/** Whether something accepts connections on 127.0.0.1:`port`. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A new directory under the system's temporary directory, removed by `stopAll()`. */
export function tempDir(prefix: string): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  tempDirs.push(dir);
  return dir;
}
