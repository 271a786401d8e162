/**
 * Runs the real `hello` CLI as a child process for end-to-end tests, from its TypeScript
 * sources with no build step: `node --conditions=@hello/source --import tsx src/cli/main.ts …`.
 * tsx compiles the sources on the fly; the "@hello/source" export condition resolves the
 * workspace packages to their `src/` (as jest does), so a test never reads or writes `dist/`
 * (which concurrent builds may be rewriting). The built bin runs the same `main.ts`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

/** The client package's directory: the CLI's working directory. */
export const PACKAGE_DIR = join(__dirname, "../..");
/** The CLI's entry point, run by tsx. */
export const CLI_MAIN = join(PACKAGE_DIR, "src/cli/main.ts");

/**
 * No CLI run may take longer than this. Generous on purpose: tests assert outputs and their
 * order, never speed, and under a CI run's full load (two cores, every package's suites at
 * once) starting node + tsx alone has taken over 5 s. It stays below jest's 30 s test
 * timeout so that a hung child fails with its own output in the message.
 */
export const CHILD_TIMEOUT_MS = 25_000;

/** One stdout line and when the test received it. */
export interface Line {
  readonly text: string;
  readonly at: number;
}

/** A finished CLI run. */
export interface CliResult {
  /** Exit code; null when the child was killed. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout, line by line, with arrival times. */
  readonly lines: readonly Line[];
}

/** A running CLI. */
export interface CliProcess {
  readonly child: ChildProcess;
  /**
   * Waits until stdout has a line matching `predicate`: at most `timeoutMs`, by default as
   * long as the child may live (it is killed then, which rejects with its output).
   */
  waitForLine(predicate: (text: string) => boolean, timeoutMs?: number): Promise<Line>;
  /** Resolves when the child has exited and its output is complete. */
  readonly done: Promise<CliResult>;
}

/** Options of one CLI run. */
export interface CliRunOptions {
  /** Environment variables on top of the test's; `HELLO_URL` is removed unless given here. */
  env?: Record<string, string>;
}

/** Starts CLI runs against one server and kills whatever is left of them. */
export interface CliRunner {
  /** Starts `hello <args>`, with `--url` of the server unless `args` or `env` name one. */
  startCli(args: readonly string[], options?: CliRunOptions): CliProcess;
  /** Runs `hello <args>` to completion, with `stdin` as its input (closed when undefined). */
  runCli(args: readonly string[], options?: CliRunOptions & { stdin?: string }): Promise<CliResult>;
  /** Kills `child` after {@link CHILD_TIMEOUT_MS} and in {@link killAll}; returns the timer's canceller. */
  track(child: ChildProcess): () => void;
  /** Kills every child still running (call in `afterAll`). */
  killAll(): void;
}

/**
 * Creates a runner of the `hello` CLI whose runs default to the URL that `serverUrl` returns
 * when they start (the server may listen only after the runner is made).
 */
export function createCliRunner(serverUrl: () => string): CliRunner {
  const children = new Set<ChildProcess>();

  const track = (child: ChildProcess) => {
    children.add(child);
    const killer = setTimeout(() => child.kill("SIGKILL"), CHILD_TIMEOUT_MS);
    return () => {
      clearTimeout(killer);
      children.delete(child);
    };
  };

  const startCli = (args: readonly string[], options: CliRunOptions = {}): CliProcess => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
    if (options.env?.["HELLO_URL"] === undefined) delete env["HELLO_URL"];
    const urlArgs = args.includes("--url") || options.env?.["HELLO_URL"] !== undefined ? [] : ["--url", serverUrl()];
    const child = spawn(process.execPath, ["--conditions=@hello/source", "--import", "tsx", CLI_MAIN, ...urlArgs, ...args], {
      cwd: PACKAGE_DIR,
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const untrack = track(child);

    const lines: Line[] = [];
    const waiters = new Set<() => void>();
    let stdout = "";
    let stderr = "";
    let partial = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      const at = Date.now();
      for (const text of parts) lines.push({ text, at });
      for (const wake of waiters) wake();
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    // A closed stdin (the child exited first) is not a test failure.
    child.stdin.on("error", () => {});

    const done = new Promise<CliResult>((resolve) => {
      child.on("close", (code) => {
        untrack();
        for (const wake of waiters) wake();
        resolve({ code, stdout, stderr, lines });
      });
    });

    return {
      child,
      done,
      waitForLine(predicate, timeoutMs = CHILD_TIMEOUT_MS) {
        return new Promise((resolve, reject) => {
          const check = () => {
            const line = lines.find((l) => predicate(l.text));
            if (line !== undefined) {
              finish();
              resolve(line);
            } else if (child.exitCode !== null || child.signalCode !== null) {
              finish();
              reject(new Error(`hello exited before printing the line; stdout: ${stdout} stderr: ${stderr}`));
            }
          };
          const timer = setTimeout(() => {
            finish();
            reject(new Error(`no matching line within ${timeoutMs} ms; stdout: ${stdout} stderr: ${stderr}`));
          }, timeoutMs);
          const finish = () => {
            clearTimeout(timer);
            waiters.delete(check);
          };
          waiters.add(check);
          check();
        });
      },
    };
  };

  return {
    startCli,
    async runCli(args, options = {}) {
      const cli = startCli(args, options);
      cli.child.stdin?.end(options.stdin ?? "");
      return cli.done;
    },
    track,
    killAll() {
      for (const child of children) child.kill("SIGKILL");
    },
  };
}
