#!/usr/bin/env node
// The `hello-probe` bin. It is committed rather than built, so that pnpm can link it on a
// fresh clone before anything is built; it runs the built probe, or says in one line how to build it.
import { existsSync } from "node:fs";

const main = new URL("../dist/probe/main.js", import.meta.url);
if (existsSync(main)) {
  await import(main.href);
} else {
  process.stderr.write("hello-probe: not built yet: run `pnpm --filter @hello/server build`\n");
  process.exitCode = 1;
}
