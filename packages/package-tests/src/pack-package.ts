import { execFileSync } from "node:child_process";
import { assertSucceeded, cleanEnv, runCommand } from "./run-command.js";

/** A package packed as it would be published. */
export interface PackedPackage {
  /** Absolute path of the .tgz. */
  readonly tarball: string;
  /** Its files, relative to the package root (without tar's `package/` prefix). */
  readonly files: readonly string[];
  /** Its package.json, as published: `workspace:` and `catalog:` versions rewritten. */
  readonly manifest: PackageManifest;
}

/** The fields of a package.json that the tests read. */
export interface PackageManifest {
  readonly name: string;
  readonly version: string;
  readonly main?: string;
  readonly module?: string;
  readonly types?: string;
  readonly sideEffects?: boolean;
  readonly bin?: Record<string, string>;
  readonly exports?: unknown;
  readonly typesVersions?: unknown;
  readonly dependencies?: Record<string, string>;
  readonly engines?: Record<string, string>;
  readonly repository?: unknown;
  readonly publishConfig?: Record<string, unknown>;
}

/**
 * How to run pnpm: the one running this test (`npm_execpath`, set by `pnpm test` and turbo),
 * else `pnpm` on the PATH.
 */
function pnpmCommand(): { file: string; prefix: string[] } {
  const execPath = process.env["npm_execpath"];
  if (execPath !== undefined && /pnpm\.c?js$/.test(execPath)) {
    return { file: process.execPath, prefix: [execPath] };
  }
  return { file: "pnpm", prefix: [] };
}

/**
 * Packs a workspace package with `pnpm pack`, which is what publishing would upload:
 * pnpm rewrites `workspace:*` and `catalog:` versions to real ones (npm pack would not).
 */
export async function packPackage(packageDir: string, destination: string): Promise<PackedPackage> {
  const pnpm = pnpmCommand();
  const result = assertSucceeded(
    `pnpm pack in ${packageDir}`,
    await runCommand(pnpm.file, [...pnpm.prefix, "pack", "--pack-destination", destination, "--json"], {
      cwd: packageDir,
      timeoutMs: 60_000,
      env: cleanEnv(),
    }),
  );
  const { filename } = JSON.parse(result.stdout) as { filename: string };
  const files = execFileSync("tar", ["-tzf", filename], { encoding: "utf8" })
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.replace(/^package\//, ""));
  const manifest = JSON.parse(execFileSync("tar", ["-xzOf", filename, "package/package.json"], { encoding: "utf8" })) as PackageManifest;
  return { tarball: filename, files, manifest };
}
