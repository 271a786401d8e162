#!/usr/bin/env node
/**
 * The `hello` command: reads the environment, wires Ctrl-C to cancel the running call,
 * runs the CLI and exits with its status. Everything else is in `run-hello.ts`.
 *
 * @example
 * hello say world            # Hello, world!
 * hello --help
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { readCliEnv } from "./env.js";
import { runHello } from "./run-hello.js";
import { INTERNAL_EXIT_CODE, USAGE_EXIT_CODE } from "./status-code.js";

// A reader that goes away (`hello replies … | head -1`) is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

const cancel = new AbortController();
// The first Ctrl-C cancels the call — RST_STREAM(CANCEL) on HTTP/2, a dropped request on
// HTTP/1.1, never a clean end of the request stream — which then ends with CANCELED; a
// second one exits.
process.once("SIGINT", () => {
  cancel.abort(new ConnectError("interrupted (Ctrl-C)", Code.Canceled));
  process.once("SIGINT", () => process.exit(130));
});

// No top-level await: the package also compiles to CommonJS.
void main().finally(() => {
  // Nothing should be left running, but a stray handle (e.g. a terminal stdin) must not
  // keep a finished command alive. Unref'd: it only fires if something else holds the process.
  setTimeout(() => process.exit(), 1_000).unref();
});

async function main(): Promise<void> {
  const env = readCliEnv(process.env);
  if (env instanceof Error) {
    process.stderr.write(`error: ${env.message}\n`);
    process.exitCode = USAGE_EXIT_CODE;
    return;
  }
  try {
    process.exitCode = await runHello(
      process.argv,
      { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, signal: cancel.signal },
      env,
    );
  } catch (error) {
    // A bug in the CLI, not a failed call: show the stack.
    process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = INTERNAL_EXIT_CODE;
  }
}
