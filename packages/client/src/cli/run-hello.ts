import { CommanderError } from "@commander-js/extra-typings";
import { createBidiCommand } from "./bidi.js";
import { createCallCommand } from "./call.js";
import { createCompletionCommand } from "./completion.js";
import type { CliEnv } from "./env.js";
import type { CliIo } from "./cli-io.js";
import { type CliSession, createCliSession, type RunInSession } from "./cli-session.js";
import { createDescribeCommand } from "./describe.js";
import { createRootCommand } from "./global-options.js";
import { createGreetingsCommand } from "./greetings.js";
import { createHealthCommand } from "./health.js";
import { createListCommand } from "./list.js";
import { packageVersion } from "./package-version.js";
import { createRepliesCommand } from "./replies.js";
import { createSayCommand } from "./say.js";
import { exitStatusHelp, USAGE_EXIT_CODE } from "./status-code.js";

const DESCRIPTION =
  "Call a server over gRPC, gRPC-Web or Connect: hello.v1.HelloService by its own commands, any method of any service with `call` (schema from server reflection).";

const OUTPUT_HELP = `Output:
  Replies go to stdout, one per line, each as soon as it arrives. Errors go to stderr as
  "error: <CODE>: <message>", followed by the error's details (e.g. each field that failed
  validation, with its rule).
  --json prints only to stdout, one JSON object per line: {"message": {…}} for each
  response message, then {"status": {"code", "codeName", "message", "details", "headers",
  "trailers"}}. Values of -bin metadata stay base64.`;

const EXAMPLES_HELP = `Examples:
  hello say world
  hello --protocol connect --http1 replies world --count 5 --interval 250ms
  printf 'Ann\\nBob\\n' | hello greetings
  hello say world -H x-echo-tenant:acme -H x-echo-trace-bin:AAECAw== --json
  hello describe hello.v1.HelloService
  hello call hello.v1.HelloService/SayHello -d '{"greeting": "world"}'`;

/**
 * Runs the `hello` CLI on `argv` (as in `process.argv`: node, script, arguments…) and
 * returns the exit status: 0 when the call succeeded, its gRPC status code (1–16) when
 * it failed, 64 for usage errors.
 */
export async function runHello(argv: readonly string[], io: CliIo, env: CliEnv): Promise<number> {
  let exitCode = 0;
  let session: CliSession | undefined;
  const program = createRootCommand(env.url);

  const run: RunInSession = async (action) => {
    const options = program.opts();
    if (options.http1 && options.protocol === "grpc") {
      program.error("error: --http1 needs --protocol grpc-web or connect: gRPC always uses HTTP/2", {
        exitCode: USAGE_EXIT_CODE,
        code: "hello.usage",
      });
    }
    session = createCliSession(options, io);
    exitCode = await action(session);
  };

  program
    .description(DESCRIPTION)
    .addCommand(createSayCommand(run))
    .addCommand(createRepliesCommand(run))
    .addCommand(createGreetingsCommand(run))
    .addCommand(createBidiCommand(run))
    .addCommand(createHealthCommand(run))
    .addCommand(createListCommand(run))
    .addCommand(createDescribeCommand(run))
    .addCommand(createCallCommand(run))
    .addCommand(createCompletionCommand(program, io))
    .version(packageVersion(), "-V, --version", "print the version of hello (@hello/client) and exit")
    .addHelpText("after", `\n${OUTPUT_HELP}\n\n${exitStatusHelp()}\n\n${EXAMPLES_HELP}`);
  for (const command of [program, ...program.commands]) {
    command
      .configureOutput({
        writeOut: (text) => io.stdout.write(text),
        writeErr: (text) => io.stderr.write(text),
      })
      .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
      .showHelpAfterError("(run with --help for usage)")
      // Throw instead of exiting, so the exit code is ours (64 for usage errors).
      .exitOverride();
  }

  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version "fail" with exit code 0.
      return error.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
    }
    throw error;
  } finally {
    session?.close();
  }
  return exitCode;
}
