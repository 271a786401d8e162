/**
 * The server as the image runs it: the `pnpm deploy` bundle of @hello/server, made once per
 * test file outside the workspace, and replicas of it started on port 0.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { run, type Started, start, tempDir, waitFor } from "./processes.js";

/** The repository's root directory. */
export const root = join(__dirname, "../../../..");

/**
 * The Dockerfile's `pnpm deploy` (minus its store and output paths): the image's contents.
 * deployment.integration.test.ts checks that the Dockerfile runs the same.
 */
export const DEPLOY_ARGS = ["--filter=@hello/server", "deploy", "--prod", "--legacy"];

let bundled: Promise<string> | undefined;

/** Deploys the built @hello/server (building it first only if stale) into a new temporary directory, once. */
export function serverBundle(): Promise<string> {
  bundled ??= (async () => {
    if (!readFileSync(join(root, "Dockerfile"), "utf8").includes(`pnpm ${DEPLOY_ARGS.join(" ")} `)) {
      throw new Error(`the Dockerfile no longer runs "pnpm ${DEPLOY_ARGS.join(" ")}": update DEPLOY_ARGS`);
    }
    // Under turbo (`pnpm test`), `^build` has built both before this suite started.
    if (process.env["TURBO_HASH"] === undefined && BUILT_BY.some(isStale)) {
      await run("pnpm", ["turbo", "run", "build", "--filter=@hello/server"], { cwd: root, timeoutMs: 240_000 });
    }
    // Outside the workspace, so nothing can resolve from the workspace's node_modules.
    const dir = join(tempDir("hello-bundle-"), "app");
    await run("pnpm", [...DEPLOY_ARGS, dir], { cwd: root, timeoutMs: 120_000 });
    return dir;
  })();
  return bundled;
}

/** The workspace packages the bundle is built from, and a file each build writes last-ish. */
const BUILT_BY = [
  { dir: "packages/sdk", output: "dist/cjs/index.js" },
  { dir: "packages/server", output: "dist/main.js" },
];

/**
 * Whether a package's build output is missing or older than one of its sources: asked
 * only when jest runs on its own (after an edit). Under `pnpm test` turbo has built both
 * (`^build`) and nothing is rebuilt here: a nested `turbo run build` beside the suites
 * running at the same time changed `dist` under their feet (seen in CI: server, package
 * and bench suites failing while system-tests ran).
 */
function isStale(pkg: { dir: string; output: string }): boolean {
  const output = join(root, pkg.dir, pkg.output);
  if (!existsSync(output)) return true;
  const builtAt = statSync(output).mtimeMs;
  const configs = ["package.json", "tsconfig.json", "tsconfig.build.json"].map((file) => join(root, pkg.dir, file));
  const sources = [...configs.filter(existsSync), join(root, "tsconfig.base.json"), ...buildSources(join(root, pkg.dir, "src"))];
  return sources.some((file) => statSync(file).mtimeMs > builtAt);
}

/** The files under `dir` a build compiles: tests and their support (tsconfig.build.json's exclude) are not. */
function buildSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? entry.name === "test-support"
        ? []
        : buildSources(join(dir, entry.name))
      : /\.test\.ts$/.test(entry.name)
        ? []
        : [join(dir, entry.name)],
  );
}

/** The environment of a bundle process: nothing from the workspace or this test run. */
export const bundleEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env["PATH"] ?? "/usr/bin:/bin", NODE_ENV: "production" });

/** A server process started from the bundle, and the port it listens on. */
export interface Replica extends Started {
  port: number;
  /** "127.0.0.1:<port>", as nginx names it in `$upstream_addr`. */
  address: string;
}

/** Starts `node dist/main.js` from the bundle on 127.0.0.1, port 0, and waits until it listens. */
export async function startReplica(bundleDir: string, env: NodeJS.ProcessEnv = {}): Promise<Replica> {
  const server = start(process.execPath, ["dist/main.js"], {
    cwd: bundleDir,
    env: { ...bundleEnv(), ...env, PORT: "0", HOST: "127.0.0.1" },
  });
  let port = 0;
  await waitFor(
    () => {
      if (server.child.exitCode !== null) throw new Error(`server exited before listening:\n${server.output()}`);
      // The start line (JSON on a pipe): {"level":30,…,"listening":{"url":…,"port":<port>,…},"msg":"listening on …"}.
      const listening = /"listening":\{[^}]*"port":(\d+)/.exec(server.output());
      port = Number(listening?.[1] ?? 0);
      return port > 0;
    },
    20_000,
    () => `the server to listen:\n${server.output()}`,
  );
  return { ...server, port, address: `127.0.0.1:${port}` };
}
