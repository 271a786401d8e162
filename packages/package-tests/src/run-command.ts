import { execFile } from "node:child_process";

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  /** Working directory. */
  cwd: string;
  /** Killed (SIGKILL) after this many milliseconds. */
  timeoutMs: number;
  /** Environment; default: this process's, without the `npm_*` / `pnpm_*` variables a package manager sets for scripts. */
  env?: NodeJS.ProcessEnv;
}

/** How a command ended. */
export interface CommandResult {
  /** Exit code; null when the command was killed (e.g. after its time limit). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The environment of this process less what pnpm sets for the script that runs the tests
 * (`npm_config_*`, `pnpm_config_*`, …): npm would read those as its own configuration —
 * e.g. pnpm's `npm_config_globalconfig` — and behave unlike in a user's shell.
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm|pnpm)_/i.test(key) && key !== "INIT_CWD" && key !== "PNPM_SCRIPT_SRC_DIR") env[key] = value;
  }
  return { ...env, ...extra };
}

/**
 * Runs a command to completion, never longer than `timeoutMs`; resolves with its exit code
 * and output whatever the outcome (the caller asserts).
 */
export function runCommand(file: string, args: readonly string[], options: RunCommandOptions): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? cleanEnv(),
        timeout: options.timeoutMs,
        killSignal: "SIGKILL",
        maxBuffer: 64 * 1024 * 1024,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Fails with the command's output unless it exited 0. */
export function assertSucceeded(what: string, result: CommandResult): CommandResult {
  if (result.code !== 0) {
    throw new Error(`${what} failed (exit ${String(result.code)})\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
  return result;
}
