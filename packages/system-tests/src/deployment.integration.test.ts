/**
 * The deployment files against real tools and processes, on 127.0.0.1 only:
 *
 * - docker-compose.yml passes `docker-compose config`, and the deployment files agree with
 *   the server (probe path, `pnpm deploy` command, environment, grace periods, ports);
 * - the `pnpm deploy` bundle — what the Dockerfile puts in the image — runs from outside the
 *   workspace, its own `hello-probe` reports SERVING, and SIGTERM stops it with exit code 0.
 *
 * nginx (deploy/nginx/nginx.conf) in front of three replicas of the same bundle is
 * nginx-replicas.integration.test.ts. Needs pnpm and docker-compose
 * (scripts/ensure-system-deps.sh installs them); builds @hello/server first.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, sep } from "node:path";
import { readEnv } from "@hello/server";
import { kill, requireExecutable, run, stopAll, within } from "./test-support/processes.js";
import { bundleEnv, DEPLOY_ARGS, root, serverBundle, startReplica } from "./test-support/server-bundle.js";

afterAll(stopAll, 30_000);

const serverPackage = JSON.parse(readFileSync(join(root, "packages/server/package.json"), "utf8")) as {
  bin: Record<string, string>;
};
/**
 * The probe's path inside the package (and so inside the image's /app): the built file that
 * the package's `hello-probe` bin, a launcher committed outside dist, runs.
 */
const probeBin = serverPackage.bin["hello-probe"] ?? "missing hello-probe bin";
const probeTarget = /new URL\("([^"]+)", import\.meta\.url\)/.exec(readFileSync(join(root, "packages/server", probeBin), "utf8"))?.[1];
const probePath = relative(".", join(dirname(probeBin), probeTarget ?? "missing launcher target"));

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

  it("the image's dependency layer holds every file its `pnpm fetch` needs (lockfile, workspace, patches)", async () => {
    // The layer's COPY lines before `pnpm fetch`, run for real on a directory holding only
    // what they copy (offline, from this machine's store: what matters is what pnpm reads).
    const dockerfile = read("Dockerfile");
    const fetchAt = dockerfile.search(/^\s*(RUN .*)?pnpm fetch /m);
    expect(fetchAt).toBeGreaterThan(0);
    const layer = dockerfile.slice(0, fetchAt);
    const copies = [...layer.matchAll(/^COPY (?!--from)(.+) (\S+)$/gm)].map((m) => ({
      sources: (m[1] ?? "").split(" "),
      target: m[2] ?? "",
    }));
    expect(copies.length).toBeGreaterThan(0);
    const dir = mkdtempSync(join(tmpdir(), "docker-layer-"));
    try {
      for (const { sources, target } of copies) {
        for (const source of sources) {
          const to = target.endsWith("/") ? join(dir, target, basename(source)) : join(dir, target);
          cpSync(join(root, source), to, { recursive: true });
        }
      }
      const pnpm = requireExecutable("pnpm");
      const { stdout: store } = await run(pnpm, ["store", "path"], { cwd: root, timeoutMs: 30_000 });
      await run(pnpm, ["fetch", "--offline", "--store-dir", store.trim()], { cwd: dir, timeoutMs: 120_000 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);

  it("the Dockerfile bundles the server with the pnpm deploy command this suite runs", () => {
    expect(read("Dockerfile")).toContain(`pnpm ${DEPLOY_ARGS.join(" ")} `);
    // `pnpm deploy` resolves again and needs package metadata, which `pnpm fetch` does not
    // store: with --offline a clean build cache fails (ERR_PNPM_NO_OFFLINE_META). The
    // container tests (src/containers) build the image for real.
    const deploy = /^\s*pnpm [^\n]*\bdeploy\b.*$/m.exec(read("Dockerfile"))?.[0] ?? "";
    expect(deploy).toContain("--prefer-offline");
    expect(deploy).not.toMatch(/--offline\b/);
  });

  it("the Kubernetes Deployment sets known, valid variables, consistent ports, and a grace period longer than the drain", () => {
    const manifest = read("deploy/k8s/deployment.yaml");
    const env = Object.fromEntries([...manifest.matchAll(/^\s*- name: ([A-Z_]+)\n\s*value: "([^"]*)"$/gm)].map((m) => [m[1], m[2]]));
    const known = [...Object.keys(readEnv({})), "TLS_CERT_FILE", "TLS_KEY_FILE"];
    expect(Object.keys(env).filter((name) => !known.includes(name))).toEqual([]);
    const parsed = readEnv(env);
    const grace = Number(/terminationGracePeriodSeconds: (\d+)/.exec(manifest)?.[1]);
    expect(grace * 1000).toBeGreaterThan(parsed.SHUTDOWN_GRACE_MS);
    expect(/containerPort: (\d+)/.exec(manifest)?.[1]).toBe(String(parsed.PORT));
    const probePorts = [...manifest.matchAll(/grpc:\n\s*port: (\d+)/g)].map((m) => Number(m[1]));
    expect(probePorts).toEqual([parsed.PORT, parsed.PORT, parsed.PORT]);
    const service = read("deploy/k8s/service.yaml");
    expect(service).toMatch(/- name: grpc\n\s*port: \d+\n\s*targetPort: grpc\n\s*protocol: TCP\n\s*appProtocol: kubernetes.io\/h2c/);
  });

  it("nginx closes idle upstream connections before the server would", () => {
    const timeouts = [...read("deploy/nginx/nginx.conf").matchAll(/^\s*keepalive_timeout (\d+)s;/gm)].map((m) => Number(m[1]));
    expect(timeouts).toHaveLength(2);
    for (const seconds of timeouts) expect(seconds * 1000).toBeLessThan(readEnv({}).IDLE_TIMEOUT_MS);
  });

  it("compose gives the servers valid variables and a stop grace period longer than the drain", () => {
    const compose = read("docker-compose.yml");
    const block = /^ {4}environment:\n((?: {6}.*\n)+)/m.exec(compose)?.[1] ?? "";
    const env = Object.fromEntries([...block.matchAll(/^ {6}([A-Z_]+): "([^"]*)"$/gm)].map((m) => [m[1], m[2]]));
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
    dir = await serverBundle();
  }, 360_000);

  it("lives outside the workspace with its own dependencies, @hello/sdk's build included", () => {
    expect(relative(root, dir).startsWith(`..${sep}`)).toBe(true);
    const sdk = realpathSync(join(dir, "node_modules/@hello/sdk"));
    expect(relative(dir, sdk).startsWith("..")).toBe(false);
    expect(existsSync(join(sdk, "dist/esm/index.js"))).toBe(true);
    expect(existsSync(join(dir, "node_modules/typescript"))).toBe(false);
  });

  it("carries the patched @bufbuild/protobuf and @bufbuild/protovalidate (patches/, pnpm patchedDependencies) and resolves them", async () => {
    // The patches (toBinary keeps one writer between calls; reflection and validation build
    // less per message) are a measured share of a call's cost: the image must not quietly
    // run the unpatched packages.
    const store = join(dir, "node_modules/.pnpm");
    const patched = (pkg: string, files: Record<string, string>) => {
      const copies = readdirSync(store).filter((name) => name.startsWith(`${pkg.replace("/", "+")}@`));
      expect(copies.length).toBeGreaterThan(0);
      for (const copy of copies) {
        for (const format of ["esm", "cjs"]) {
          for (const [path, marker] of Object.entries(files)) {
            const file = join(store, copy, "node_modules", pkg, "dist", format, path);
            expect({ file, patched: readFileSync(file, "utf8").includes(marker) }).toEqual({ file, patched: true });
          }
        }
      }
    };
    patched("@bufbuild/protobuf", { "to-binary.js": "sharedWriter", "reflect/reflect.js": "this.lists || (this.lists = new Map())" });
    patched("@bufbuild/protovalidate", {
      "cursor.js": "pathBuilder()",
      "cel.js": "lazyPlan(",
      "native/dispatcher.js": "tryBuildNativeDurationRules",
    });
    // What the server's own imports resolve to, from the bundle's root as the image runs it.
    const { stdout } = await run(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        'import { toBinary } from "@bufbuild/protobuf"; console.log(toBinary.toString().includes("sharedWriter"));',
      ],
      { cwd: dir, env: bundleEnv(), timeoutMs: 20_000 },
    );
    expect(stdout.trim()).toBe("true");
  });

  it("serves, its hello-probe reports SERVING, and SIGTERM stops it with exit code 0", async () => {
    const server = await startReplica(dir);
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
