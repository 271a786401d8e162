#!/usr/bin/env node
// The `hello-server` bin. It is committed rather than built, so that pnpm can link it on a
// fresh clone before anything is built; it runs the built server, or says in one line how to build it.
import { existsSync } from "node:fs";

const main = new URL("../dist/main.js", import.meta.url);
if (existsSync(main)) {
  await import(main.href);
} else {
  process.stderr.write(
    "hello-server: not built yet: run `pnpm --filter @hello/server build` (or `pnpm start` from the repository root, which builds first)\n",
  );
  process.exitCode = 1;
}
