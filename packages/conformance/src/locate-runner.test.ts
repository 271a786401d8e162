import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { locateRunner, releaseUrl, RUNNER_VERSION } from "./locate-runner.js";

/** A fake runner: a script that prints the given version. */
function fakeRunner(path: string, version = RUNNER_VERSION): string {
  writeFileSync(path, `#!/bin/sh\necho "connectconformance ${version}"\n`);
  chmodSync(path, 0o755);
  return path;
}

describe("locateRunner()", () => {
  let dir: string;
  let repoRoot: string;
  const offline = () => Promise.reject(new Error("offline"));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "locate-runner-"));
    repoRoot = join(dir, "repo");
    mkdirSync(repoRoot);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("takes CONNECTCONFORMANCE first", async () => {
    const runner = fakeRunner(join(dir, "mine"));
    mkdirSync(join(dir, "shared", "conformance"), { recursive: true });
    fakeRunner(join(dir, "shared", "conformance", "connectconformance"));
    await expect(locateRunner({ env: { CONNECTCONFORMANCE: runner }, repoRoot, fetch: offline })).resolves.toBe(runner);
  });

  it("fails when CONNECTCONFORMANCE names no executable, instead of looking elsewhere", async () => {
    await expect(locateRunner({ env: { CONNECTCONFORMANCE: join(dir, "missing") }, repoRoot, fetch: offline })).rejects.toThrow(
      "CONNECTCONFORMANCE",
    );
  });

  it("finds the runner in ../shared/conformance beside the repository", async () => {
    mkdirSync(join(dir, "shared", "conformance"), { recursive: true });
    const runner = fakeRunner(join(dir, "shared", "conformance", "connectconformance"));
    await expect(locateRunner({ env: { CONNECTCONFORMANCE: undefined }, repoRoot, fetch: offline })).resolves.toBe(runner);
  });

  it("rejects a runner of another version", async () => {
    const runner = fakeRunner(join(dir, "old"), "v1.0.0");
    await expect(locateRunner({ env: { CONNECTCONFORMANCE: runner }, repoRoot, fetch: offline })).rejects.toThrow(
      `not connectconformance ${RUNNER_VERSION}`,
    );
  });

  it("fails loudly, naming where it looked, when nothing is found and the download fails", async () => {
    const attempt = locateRunner({
      env: { CONNECTCONFORMANCE: undefined },
      repoRoot,
      cacheDir: join(dir, "cache"),
      fetch: offline,
      platform: "linux",
      arch: "x64",
    });
    await expect(attempt).rejects.toThrow(/CONNECTCONFORMANCE is unset.*shared.*does not exist.*downloading .*offline/s);
  });
});

describe("releaseUrl()", () => {
  it("names the release archive after uname -s and uname -m", () => {
    expect(releaseUrl("linux", "x64")).toBe(
      `https://github.com/connectrpc/conformance/releases/download/${RUNNER_VERSION}/connectconformance-${RUNNER_VERSION}-Linux-x86_64.tar.gz`,
    );
    expect(releaseUrl("linux", "arm64")).toMatch(/-Linux-aarch64\.tar\.gz$/);
    expect(releaseUrl("darwin", "arm64")).toMatch(/-Darwin-arm64\.tar\.gz$/);
  });

  it("refuses a platform without a release", () => {
    expect(() => releaseUrl("win32", "ia32")).toThrow("CONNECTCONFORMANCE");
  });
});
