/**
 * The container engine the container tests drive: Docker when a daemon answers, else rootful
 * podman, installed from apt when missing (scripts/ensure-container-engine.sh), with the base
 * images it cannot pull assembled locally under the names the Dockerfile and
 * docker-compose.yml use (scripts/container-base-images.sh). Both scripts say what they do
 * on stderr, which goes straight to the test's output.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, type Started, start, stop, tempDir, waitFor } from "../../test-support/processes.js";
import { root } from "../../test-support/server-bundle.js";

/** A container engine and how to call its CLI. */
export interface ContainerEngine {
  name: "docker" | "podman";
  /** The environment of the engine's CLI (podman: its containers.conf). */
  env: NodeJS.ProcessEnv;
  /** Runs the engine's CLI to its end and returns its stdout; fails with its output. */
  cli(args: string[], timeoutMs?: number): Promise<string>;
  /**
   * Runs every health check of these containers now. Podman schedules health checks with
   * systemd timers, which this machine may not have: there, nothing else runs them. Docker
   * runs them itself, and this does nothing.
   */
  runHealthchecks(containers: string[]): Promise<void>;
}

/** Runs a script of the repository, its stderr shown as it comes; resolves with its stdout. */
function runScript(script: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [join(root, "scripts", script), ...args], {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`scripts/${script} ${args.join(" ")} failed (${signal ?? code}); its reasons are on stderr above`));
    });
  });
}

let prepared: Promise<ContainerEngine> | undefined;

/**
 * The engine, found or installed once per test file, with the base images of `images`
 * available to it (pulled by Docker; assembled locally for podman). Fails with the reason
 * when no engine can run here: never a silent skip.
 */
export function containerEngine(images: string[]): Promise<ContainerEngine> {
  prepared ??= (async () => {
    const found = Object.fromEntries(
      (await runScript("ensure-container-engine.sh", [], process.env, 600_000))
        .split("\n")
        .map((line) => /^(\w+)=(.*)$/.exec(line))
        .filter((m) => m !== null)
        .map((m) => [m[1], m[2]]),
    );
    const name = found["ENGINE"];
    if (name !== "docker" && name !== "podman") throw new Error(`ensure-container-engine.sh named no engine: ${JSON.stringify(found)}`);
    const env: NodeJS.ProcessEnv = { ...process.env, ...(found["CONTAINERS_CONF"] ? { CONTAINERS_CONF: found["CONTAINERS_CONF"] } : {}) };
    if (name === "podman") {
      // No registry is reachable from this engine here; Docker pulls what it needs itself.
      await runScript("container-base-images.sh", images, { ...env, ENGINE: "podman" }, 900_000);
    }
    const cli = async (args: string[], timeoutMs = 60_000) => (await run(name, args, { cwd: root, timeoutMs, env })).stdout;
    return {
      name,
      env,
      cli,
      runHealthchecks: async (containers) => {
        if (name !== "podman") return;
        // Exit code 1 is "unhealthy", which is an answer too: the state is in inspect.
        await Promise.all(containers.map((container) => cli(["healthcheck", "run", container], 30_000).catch(() => undefined)));
      },
    };
  })();
  return prepared;
}

/** The server image's name in docker-compose.yml (`hello-server:local`): what the tests build and run. */
export function serverImage(): string {
  const image = /^\s+image: (hello-server:\S+)$/m.exec(readFileSync(join(root, "docker-compose.yml"), "utf8"))?.[1];
  if (image === undefined) throw new Error("docker-compose.yml names no hello-server image");
  return image;
}

/** The base images the Dockerfile (its ARG …_IMAGE defaults) and docker-compose.yml name. */
export function baseImages(): string[] {
  const dockerfile = readFileSync(join(root, "Dockerfile"), "utf8");
  const compose = readFileSync(join(root, "docker-compose.yml"), "utf8");
  const fromDockerfile = [...dockerfile.matchAll(/^ARG \w+_IMAGE=(\S+)$/gm)].map((m) => m[1]!);
  const fromCompose = [...compose.matchAll(/^\s+image: (\S+)$/gm)].map((m) => m[1]!).filter((image) => !image.startsWith("hello-"));
  return [...new Set([...fromDockerfile, ...fromCompose])];
}

/**
 * Builds the image from the Dockerfile as it is. With podman, the host's CA bundle is
 * mounted into the build's RUN steps only (npm and pnpm read it through a mounted
 * ~/.npmrc), for networks that intercept TLS; nothing of it reaches an image layer.
 */
export async function buildImage(engine: ContainerEngine, tag: string): Promise<void> {
  const args = ["build", "--tag", tag, "--file", "Dockerfile"];
  if (engine.name === "podman") {
    // HEALTHCHECK exists in the Docker image format only; podman builds OCI by default.
    args.push("--format", "docker");
    const hostCa = [process.env["NODE_EXTRA_CA_CERTS"], "/etc/ssl/certs/ca-certificates.crt"].find((f) => f && existsSync(f));
    if (hostCa !== undefined) {
      const npmrc = join(tempDir("hello-build-"), "npmrc");
      writeFileSync(npmrc, "cafile=/run/hello-build/ca.pem\n");
      args.push("--volume", `${hostCa}:/run/hello-build/ca.pem:ro`, "--volume", `${npmrc}:/root/.npmrc:ro`);
    }
  }
  await engine.cli([...args, "."], 900_000);
}

/** `inspect` of containers (or images), parsed. */
export async function inspect<T>(engine: ContainerEngine, what: "container" | "image", names: string[]): Promise<T[]> {
  return JSON.parse(await engine.cli([what, "inspect", ...names])) as T[];
}

/** The fields of a container's inspect that the tests read (Docker's names; podman's compat output has them too). */
export interface ContainerInfo {
  Id: string;
  Name: string;
  State: {
    Status: string;
    Running: boolean;
    ExitCode: number;
    StartedAt: string;
    Health?: { Status: string };
    Healthcheck?: { Status: string };
  };
  Config: { User: string; Labels: Record<string, string> | null };
  HostConfig: {
    ReadonlyRootfs: boolean;
    CapDrop: string[] | null;
    CapAdd: string[] | null;
    Memory: number;
    NanoCpus?: number;
    CpuQuota?: number;
    CpuPeriod?: number;
  };
  NetworkSettings: { Networks: Record<string, { IPAddress: string }> | null };
}

/** A container's health status ("starting", "healthy", "unhealthy"), or undefined without a health check. */
export const healthOf = (info: ContainerInfo): string | undefined => (info.State.Health ?? info.State.Healthcheck)?.Status || undefined;

/** Waits until the container's own health check reports healthy, running it where the engine does not. */
export async function waitHealthy(engine: ContainerEngine, container: string, ms: number): Promise<void> {
  let last: ContainerInfo | undefined;
  await waitFor(
    async () => {
      await engine.runHealthchecks([container]);
      [last] = await inspect<ContainerInfo>(engine, "container", [container]);
      if (last?.State.Running === false)
        throw new Error(`${container} exited (${last.State.ExitCode}):\n${await logsOf(engine, container)}`);
      if (healthOf(last!) === "healthy") return true;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return false;
    },
    ms,
    () => `${container} to be healthy (last: ${last ? healthOf(last) : "?"})`,
  );
}

/** Everything a container wrote. */
export async function logsOf(engine: ContainerEngine, container: string): Promise<string> {
  const { stdout, stderr } = await run(engine.name, ["logs", container], { cwd: root, timeoutMs: 30_000, env: engine.env });
  return `${stdout}${stderr}`;
}

/** The host port a container's `port` is published on (127.0.0.1 only). */
export async function publishedPort(engine: ContainerEngine, container: string, port: number): Promise<number> {
  const out = await engine.cli(["port", container, `${port}/tcp`]);
  const published = /127\.0\.0\.1:(\d+)/.exec(out)?.[1];
  if (published === undefined) throw new Error(`${container}: ${port}/tcp is not published on 127.0.0.1: ${out}`);
  return Number(published);
}

/**
 * Podman's Docker-compatible API on a socket of its own (for docker-compose), for as long as
 * the test needs it; with Docker, the daemon's own socket. Resolves with DOCKER_HOST.
 */
export async function dockerApi(engine: ContainerEngine): Promise<{ dockerHost: string | undefined; close(): Promise<void> }> {
  if (engine.name === "docker") return { dockerHost: process.env["DOCKER_HOST"], close: async () => {} };
  const socket = join(tempDir("hello-podman-api-"), "podman.sock");
  const service: Started = start("podman", ["system", "service", "--time=0", `unix://${socket}`], { cwd: root, env: engine.env });
  await waitFor(
    () => {
      if (service.child.exitCode !== null) throw new Error(`podman system service exited:\n${service.output()}`);
      return existsSync(socket);
    },
    20_000,
    () => `podman's API socket:\n${service.output()}`,
  );
  return { dockerHost: `unix://${socket}`, close: () => stop(service.child, "SIGTERM", 10_000) };
}
