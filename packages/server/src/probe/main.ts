#!/usr/bin/env node
// Entry point of `hello-probe`: parse the command line, check once, print one line, exit.
// A container HEALTHCHECK or a script runs it; Kubernetes uses its native gRPC probe instead.
//
//   hello-probe --addr 127.0.0.1:8080 --timeout 2s && echo healthy
import { checkHealth } from "./check-health.js";
import { parseProbeArgs } from "./parse-probe-args.js";
import { ProbeExitCode } from "./probe-exit-code.js";

const parsed = parseProbeArgs(process.argv.slice(2));
switch (parsed.kind) {
  case "help":
    process.stdout.write(parsed.text);
    process.exit(ProbeExitCode.Serving);
    break;
  case "error":
    process.stderr.write(`hello-probe: ${parsed.message}\n(hello-probe --help shows the options)\n`);
    process.exit(ProbeExitCode.InvalidArguments);
    break;
  case "options": {
    const result = await checkHealth(parsed.options);
    (result.exitCode === ProbeExitCode.Serving ? process.stdout : process.stderr).write(`${result.message}\n`);
    // exit() rather than waiting for the event loop: a probe must end at once, whatever it left open.
    process.exit(result.exitCode);
  }
}
