/**
 * The deployment files against real tools and processes, on 127.0.0.1 only:
 *
 * - docker-compose.yml passes `docker-compose config`, and the deployment files agree with
 *   the server (probe path, `pnpm deploy` command, environment, grace periods, ports);
 * - the `pnpm deploy` bundle — what the Dockerfile puts in the image — runs from outside the
 *   workspace, its own `hello-probe` reports SERVING, and SIGTERM stops it with exit code 0.
 *
 * nginx (deploy/nginx/nginx.conf) in front of three replicas, called with the client SDK
 * while one dies, is checked in packages/system-tests, which may depend on @hello/client.
 *
 * Needs pnpm and docker-compose (scripts/ensure-system-deps.sh installs them); builds
 * @hello/server first. Run: cd packages/server && pnpm exec jest deploy
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, relative, sep } from "node:path";
import { promisify } from "node:util";
import { readEnv } from "./env.js";

const root = join(__dirname, "../../..");
const serverPackage = JSON.parse(readFileSync(join(root, "packages/server/package.json"), "utf8")) as {
  bin: Record<string, string>;
};
/** The probe's path inside the package (and so inside the image's /app). */
const probePath = relative(".", serverPackage.bin["hello-probe"] ?? "missing hello-probe bin");

/**
 * The Dockerfile's `pnpm deploy` (minus its store and output paths): the image's contents.
 * packages/system-tests runs the same (its DEPLOY_ARGS) for the replicas behind nginx.
 */
const DEPLOY_ARGS = ["--filter=@hello/server", "deploy", "--prod", "--legacy"];

// ---------------------------------------------------------------------------------------
// Processes: every child is started in its own process group and killed in afterAll,
// whatever happened; every wait has a time limit.

const running: ChildProcess[] = [];
const tempDirs: string[] = [];

afterAll(async () => {
  await Promise.all(running.map((child) => stop(child, "SIGTERM", 5_000)));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}, 30_000);

interface Started {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  exited: Promise<number | null>;
}

function start(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Started {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.push(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Signals a child's process group; SIGKILLs it when it has not exited after `graceMs`. */
async function stop(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  kill(child, signal);
  await within(graceMs, exited, undefined);
  // Also reaps what the child left in its group.
  kill(child, "SIGKILL");
}

function kill(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // Already gone.
  }
}

/** The promise's value, or `fallback` once `ms` have passed (the timer never outlives it). */
async function within<T, F>(ms: number, promise: Promise<T>, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<F>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until `predicate` holds, checking every 20 ms; fails after `ms` with `what`. */
async function waitFor(predicate: () => boolean | Promise<boolean>, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms}ms waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Starts a hello server process with PORT=0 and resolves with the port it reports. */
async function startServer(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }) {
  const server = start(process.execPath, args, { ...options, env: { ...options.env, PORT: "0", HOST: "127.0.0.1" } });
  let port = 0;
  await waitFor(
    () => {
      if (server.child.exitCode !== null) throw new Error(`server exited before listening:\n${server.output()}`);
      const listening = /\{"msg":"listening".*"port":(\d+)\}/.exec(server.output());
      port = Number(listening?.[1] ?? 0);
      return port > 0;
    },
    20_000,
    () => `the server to listen:\n${server.output()}`,
  );
  return { ...server, port };
}

async function run(command: string, args: string[], options: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv }) {
  try {
    return await promisify(execFile)(command, args, {
      cwd: options.cwd,
      timeout: options.timeoutMs,
      killSignal: "SIGKILL",
      maxBuffer: 16 * 1024 * 1024,
      env: options.env ?? { ...process.env, TURBO_TELEMETRY_DISABLED: "1" },
    });
  } catch (e) {
    const error = e as Error & { stdout?: string; stderr?: string; code?: number | string };
    const output = `${error.stdout ?? ""}\n${error.stderr ?? error.message}`;
    throw new Error(`${command} ${args.join(" ")} failed (${error.code}):\n${output}`);
  }
}

/** A tool this suite cannot do without: its absolute path, or an error saying how to get it. */
function requireExecutable(name: string): string {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  throw new Error(
    `${name} is not installed, and this suite needs it: run scripts/ensure-system-deps.sh (or apt-get install ${name})`,
  );
}

function tempDir(prefix: string): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  tempDirs.push(dir);
  return dir;
}

// One build and one bundle for the whole file, made when first needed.
let built: Promise<unknown> | undefined;
const build = () =>
  (built ??= run("pnpm", ["turbo", "run", "build", "--filter=@hello/server"], { cwd: root, timeoutMs: 240_000 }));

let bundled: Promise<string> | undefined;
const bundle = () =>
  (bundled ??= (async () => {
    await build();
    // Outside the workspace, so nothing can resolve from the workspace's node_modules.
    const dir = join(tempDir("hello-bundle-"), "app");
    await run("pnpm", [...DEPLOY_ARGS, dir], { cwd: root, timeoutMs: 120_000 });
    return dir;
  })());

/** The environment of a bundle process: nothing from the workspace or this test run. */
const bundleEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env["PATH"] ?? "/usr/bin:/bin", NODE_ENV: "production" });

// ---------------------------------------------------------------------------------------

describe("deployment files", () => {
  const read = (path: string) => readFileSync(join(root, path), "utf8");

  it("docker-compose.yml is valid for docker-compose", async () => {
    const compose = requireExecutable("docker-compose");
    await run(compose, ["-f", "docker-compose.yml", "config", "-q"], { cwd: root, timeoutMs: 30_000 });
    const { stdout } = await run(compose, ["-f", "docker-compose.yml", "config", "--services"], {
      cwd: root,
      timeoutMs: 30_000,
    });
    expect(stdout.split("\n").filter(Boolean).sort()).toEqual(["client", "nginx", "server"]);
  });

  it("the image and compose check health with the package's hello-probe", () => {
    expect(probePath).toBe(join("dist", "probe", "main.js"));
    expect(read("Dockerfile")).toMatch(new RegExp(`HEALTHCHECK [^\\n]*\\\\\\n\\s+CMD node ${probePath} `));
    expect(read("docker-compose.yml")).toContain(`test: ["CMD", "node", "${probePath}", `);
  });

  it("the Dockerfile bundles the server with the pnpm deploy command this suite runs", () => {
    expect(read("Dockerfile")).toContain(`pnpm ${DEPLOY_ARGS.join(" ")} `);
  });

  it("the Kubernetes Deployment sets known, valid variables, consistent ports, and a grace period longer than the drain", () => {
    const manifest = read("deploy/k8s/deployment.yaml");
    const env = Object.fromEntries(
      [...manifest.matchAll(/^\s*- name: ([A-Z_]+)\n\s*value: "([^"]*)"$/gm)].map((m) => [m[1], m[2]]),
    );
    const known = [...Object.keys(readEnv({})), "TLS_CERT_FILE", "TLS_KEY_FILE"];
    expect(Object.keys(env).filter((name) => !known.includes(name))).toEqual([]);
    const parsed = readEnv(env);
    const grace = Number(/terminationGracePeriodSeconds: (\d+)/.exec(manifest)?.[1]);
    expect(grace * 1000).toBeGreaterThan(parsed.SHUTDOWN_GRACE_MS);
    expect(/containerPort: (\d+)/.exec(manifest)?.[1]).toBe(String(parsed.PORT));
    const probePorts = [...manifest.matchAll(/grpc:\n\s*port: (\d+)/g)].map((m) => Number(m[1]));
    expect(probePorts).toEqual([parsed.PORT, parsed.PORT, parsed.PORT]);
    const service = read("deploy/k8s/service.yaml");
    expect(service).toMatch(
      /- name: grpc\n\s*port: \d+\n\s*targetPort: grpc\n\s*protocol: TCP\n\s*appProtocol: kubernetes.io\/h2c/,
    );
  });

  it("nginx closes idle upstream connections before the server would", () => {
    const timeouts = [...read("deploy/nginx/nginx.conf").matchAll(/^\s*keepalive_timeout (\d+)s;/gm)].map((m) => Number(m[1]));
    expect(timeouts).toHaveLength(2);
    for (const seconds of timeouts) expect(seconds * 1000).toBeLessThan(readEnv({}).IDLE_TIMEOUT_MS);
  });

  it("compose gives the servers valid variables and a stop grace period longer than the drain", () => {
    const compose = read("docker-compose.yml");
    const block = /^ {4}environment:\n((?: {6}.*\n)+)/m.exec(compose)?.[1] ?? "";
    const env = Object.fromEntries(
      [...block.matchAll(/^ {6}([A-Z_]+): "([^"]*)"$/gm)].map((m) => [m[1], m[2]]),
    );
    expect(Object.keys(env).length).toBeGreaterThan(0);
    const parsed = readEnv(env);
    const grace = Number(/stop_grace_period: (\d+)s/.exec(compose)?.[1]);
    expect(grace * 1000).toBeGreaterThan(parsed.SHUTDOWN_GRACE_MS);
    expect(compose).toContain(`"--addr", "127.0.0.1:${parsed.PORT}"`);
  });
});

describe("the pnpm deploy bundle (what the image runs)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await bundle();
  }, 360_000);

  it("lives outside the workspace with its own dependencies, @hello/sdk's build included", () => {
    expect(relative(root, dir).startsWith(`..${sep}`)).toBe(true);
    const sdk = realpathSync(join(dir, "node_modules/@hello/sdk"));
    expect(relative(dir, sdk).startsWith("..")).toBe(false);
    expect(existsSync(join(sdk, "dist/esm/index.js"))).toBe(true);
    expect(existsSync(join(dir, "node_modules/typescript"))).toBe(false);
  });

  it("serves, its hello-probe reports SERVING, and SIGTERM stops it with exit code 0", async () => {
    const server = await startServer(["dist/main.js"], { cwd: dir, env: bundleEnv() });
    const probe = await run(process.execPath, [probePath, "--addr", `127.0.0.1:${server.port}`, "--timeout", "5s"], {
      cwd: dir,
      env: bundleEnv(),
      timeoutMs: 10_000,
    });
    expect(probe.stdout).toBe("status: SERVING\n");

    kill(server.child, "SIGTERM");
    expect(await within(15_000, server.exited, "still running")).toBe(0);
    expect(server.output()).toContain('"signal":"SIGTERM"');
  }, 60_000);
});
