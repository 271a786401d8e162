import { execFile } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type { ConformanceEnv } from "./env.js";

const run = promisify(execFile);

/** The runner release the configs, known-failing lists and vendored protos are written for. */
export const RUNNER_VERSION = "v1.0.4";

/** Options of {@link locateRunner}. */
export interface LocateRunnerOptions {
  /** The harness's environment (`CONNECTCONFORMANCE`). */
  env: Pick<ConformanceEnv, "CONNECTCONFORMANCE">;
  /** The repository's root: a checkout of shared files may sit beside it (`../shared`). */
  repoRoot: string;
  /** Where a downloaded runner is kept between runs. Default `~/.cache/hello-rpc`. */
  cacheDir?: string;
  /** Fetches the release archive; a parameter so that tests need no network. Default `fetch`. */
  fetch?: (url: string) => Promise<Response>;
  /** The machine's OS and CPU, in Node's names. Default this process's. */
  platform?: NodeJS.Platform;
  arch?: string;
}

/**
 * Finds the `connectconformance` runner, {@link RUNNER_VERSION}: the path in
 * `CONNECTCONFORMANCE` (which must then work), else `../shared/conformance/connectconformance`
 * beside the repository, else a copy downloaded earlier, else the release downloaded from
 * GitHub into the cache. Throws, naming every place it looked, when none works: a missing
 * runner fails the run, it never skips it. Every runner found must report that version.
 *
 * @example
 * const runner = await locateRunner({ env: readEnv(), repoRoot });
 */
export async function locateRunner(options: LocateRunnerOptions): Promise<string> {
  const explicit = options.env.CONNECTCONFORMANCE;
  if (explicit !== undefined) {
    const path = resolve(explicit);
    if (!isExecutable(path)) throw new Error(`CONNECTCONFORMANCE=${explicit}: no executable file there`);
    await checkVersion(path);
    return path;
  }
  const shared = join(options.repoRoot, "..", "shared", "conformance", "connectconformance");
  if (isExecutable(shared)) {
    await checkVersion(shared);
    return shared;
  }
  const cacheDir = join(options.cacheDir ?? join(homedir(), ".cache", "hello-rpc"), `connectconformance-${RUNNER_VERSION}`);
  const cached = join(cacheDir, "connectconformance");
  if (isExecutable(cached)) {
    await checkVersion(cached);
    return cached;
  }
  const url = releaseUrl(options.platform ?? process.platform, options.arch ?? process.arch);
  try {
    await download(url, cacheDir, options.fetch ?? fetch);
  } catch (error) {
    throw new Error(
      `no conformance runner: CONNECTCONFORMANCE is unset, ${shared} does not exist, and downloading ${url} failed ` +
        `(${error instanceof Error ? error.message : String(error)}). Set CONNECTCONFORMANCE to a connectconformance ${RUNNER_VERSION} binary.`,
      { cause: error },
    );
  }
  await checkVersion(cached);
  return cached;
}

/**
 * The release archive for this machine: the release names its files after `uname -s` and
 * `uname -m` (configuring_and_running_tests.md, "Configuring CI").
 */
export function releaseUrl(platform: NodeJS.Platform, arch: string): string {
  const os = ({ linux: "Linux", darwin: "Darwin" } as Partial<Record<NodeJS.Platform, string>>)[platform];
  const machine = ({ x64: "x86_64", arm64: platform === "darwin" ? "arm64" : "aarch64" } as Record<string, string>)[arch];
  if (os === undefined || machine === undefined) {
    throw new Error(`no connectconformance release for ${platform}-${arch}: set CONNECTCONFORMANCE`);
  }
  return `https://github.com/connectrpc/conformance/releases/download/${RUNNER_VERSION}/connectconformance-${RUNNER_VERSION}-${os}-${machine}.tar.gz`;
}

/** Downloads and unpacks the runner into `dir`; the binary appears there only when complete. */
async function download(url: string, dir: string, fetchUrl: (url: string) => Promise<Response>): Promise<void> {
  const response = await fetchUrl(url);
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
  const archive = new Uint8Array(await response.arrayBuffer());
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(dir, "download-"));
  try {
    writeFileSync(join(work, "runner.tar.gz"), archive);
    await run("tar", ["-xzf", join(work, "runner.tar.gz"), "-C", work, "connectconformance"]);
    // A rename within one folder is atomic: a run that dies halfway leaves no half binary.
    renameSync(join(work, "connectconformance"), join(dir, "connectconformance"));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Fails unless the runner is the version this package's configs are written for. */
async function checkVersion(path: string): Promise<void> {
  const { stdout } = await run(path, ["--version"]);
  if (!stdout.trim().endsWith(` ${RUNNER_VERSION}`)) {
    throw new Error(`${path} is "${stdout.trim()}", not connectconformance ${RUNNER_VERSION}`);
  }
}

function isExecutable(path: string): boolean {
  if (!existsSync(path)) return false;
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
