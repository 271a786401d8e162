import { spawnSync } from "node:child_process";

/** Options of {@link runNode}. */
export interface RunNodeOptions {
  /** Working directory. */
  cwd: string;
  /** Bytes written to the command's stdin. */
  input?: Uint8Array;
  /** Killed after this many milliseconds; default 60 s. */
  timeoutMs?: number;
}

/** How a command ended, with its output as text (and stdout as bytes, for plugin responses). */
export interface NodeResult {
  /** Exit code; null when the command was killed. */
  readonly status: number | null;
  readonly stdout: string;
  readonly stdoutBytes: Uint8Array;
  readonly stderr: string;
}

/**
 * Runs the Node that runs the tests (so `test:node24` checks Node 24 too) with `args`, to
 * completion: a child process loads packages as a user's program would, outside jest's
 * module system.
 */
export function runNode(args: readonly string[], options: RunNodeOptions): NodeResult {
  return runCommand(process.execPath, args, options);
}

/** Runs any command as {@link runNode} does. */
export function runCommand(file: string, args: readonly string[], options: RunNodeOptions): NodeResult {
  const result = spawnSync(file, args, {
    cwd: options.cwd,
    input: options.input,
    timeout: options.timeoutMs ?? 60_000,
    killSignal: "SIGKILL",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error !== undefined) throw result.error;
  return {
    status: result.status,
    stdout: result.stdout.toString("utf8"),
    stdoutBytes: new Uint8Array(result.stdout),
    stderr: result.stderr.toString("utf8"),
  };
}

/** Fails with the command's output unless it exited 0. */
export function assertSucceeded(what: string, result: NodeResult): NodeResult {
  if (result.status !== 0) {
    throw new Error(`${what} failed (exit ${String(result.status)})\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
  return result;
}
