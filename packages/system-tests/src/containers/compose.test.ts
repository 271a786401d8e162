/**
 * docker-compose.yml as it is, brought up by docker-compose against the container engine
 * (Docker's daemon, or podman's Docker-compatible API), with the image built from the
 * Dockerfile; on 127.0.0.1 only:
 *
 * - the servers' health check gates nginx and the client job, and the client job passes;
 * - with `--scale server=4`, nginx spreads calls over all four replicas (its resolver is the
 *   one the engine gave the container);
 * - a replica killed while the project's client calls through nginx with its retries on costs
 *   no call: the calls it held come back as 502 (UNAVAILABLE) and are retried.
 *
 * Engine-specific settings live in an override file this test writes to a temporary
 * directory: docker-compose.yml is read from the repository, unchanged.
 * Run once per `pnpm test` (the `test:containers` task); alone:
 * cd packages/system-tests && pnpm test:containers compose
 */
import { ConnectError } from "@connectrpc/connect";
import { createHelloClient, type HelloClient } from "@hello/client";
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type AccessLogEntry, parseAccessLog } from "../test-support/access-log.js";
import { freePort, requireExecutable, run, stopAll, tempDir, waitFor } from "../test-support/processes.js";
import { root } from "../test-support/server-bundle.js";
import {
  baseImages,
  buildImage,
  type ContainerEngine,
  type ContainerInfo,
  containerEngine,
  dockerApi,
  healthOf,
  inspect,
  logsOf,
  serverImage,
} from "./support/container-engine.js";

const REPLICAS = 4;
const project = `hello-compose-${randomUUID().slice(0, 8)}`;

let engine: ContainerEngine;
let api: Awaited<ReturnType<typeof dockerApi>> | undefined;
let composeArgs: string[];
let composeEnv: NodeJS.ProcessEnv;
let h2cPort: number;
let http1Port: number;

/** docker-compose with this project's files and environment. */
const compose = (args: string[], timeoutMs = 120_000) =>
  run(requireExecutable("docker-compose"), [...composeArgs, ...args], { cwd: root, timeoutMs, env: composeEnv });

/** The project's containers of a service, by compose's labels. */
async function containersOf(service?: string): Promise<ContainerInfo[]> {
  const filters = ["--filter", `label=com.docker.compose.project=${project}`];
  if (service !== undefined) filters.push("--filter", `label=com.docker.compose.service=${service}`);
  const ids = (await engine.cli(["ps", "--all", "--quiet", ...filters])).split("\n").filter(Boolean);
  return ids.length === 0 ? [] : inspect<ContainerInfo>(engine, "container", ids);
}

beforeAll(async () => {
  engine = await containerEngine(baseImages());
  await buildImage(engine, serverImage());
  api = await dockerApi(engine);
  [h2cPort, http1Port] = [await freePort(), await freePort()];
  composeArgs = ["--project-name", project, "--file", "docker-compose.yml"];
  if (engine.name === "podman") {
    // Podman's API: a network created through it a second time must name its IPAM driver, or
    // compose sees "IPAM option driver has changed". Docker needs no override.
    const override = join(tempDir("hello-compose-"), "docker-compose.override.yml");
    writeFileSync(override, ["networks:", "  hello:", "    ipam:", "      options:", "        driver: host-local", ""].join("\n"));
    composeArgs.push("--file", override);
  }
  composeArgs.push("--compatibility");
  composeEnv = {
    ...engine.env,
    ...(api.dockerHost !== undefined ? { DOCKER_HOST: api.dockerHost } : {}),
    HELLO_H2C_PORT: String(h2cPort),
    HELLO_HTTP1_PORT: String(http1Port),
    COMPOSE_HTTP_TIMEOUT: "120",
  };
}, 1_500_000);

afterAll(async () => {
  if (composeArgs !== undefined) {
    await compose(["down", "--timeout", "5", "--remove-orphans"], 120_000).catch((e: unknown) => console.error(e));
    // Nothing of the project may outlive the test.
    const left = await containersOf().catch(() => []);
    if (left.length > 0) await engine.cli(["rm", "--force", ...left.map((c) => c.Id)]).catch(() => undefined);
  }
  await api?.close();
  await stopAll();
}, 180_000);

describe("docker-compose.yml, unchanged, on the container engine", () => {
  /** For each server container: the last moment it was seen not yet healthy. */
  const notHealthyUntil = new Map<string, number>();
  let nginx: ContainerInfo;

  it(`gates nginx and the client job on the servers' health check (--scale server=${REPLICAS}); the client job passes`, async () => {
    // Watches health while `up` runs (and runs the checks, where podman would need systemd
    // timers to): compose starts nginx and the client only once every server is healthy.
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const before = Date.now();
        const servers = await containersOf("server").catch(() => []);
        for (const server of servers) if (healthOf(server) !== "healthy") notHealthyUntil.set(server.Id, before);
        // One at a time, as a busy machine may take seconds to start a probe's Node; only
        // until healthy, which is all the gating waits for.
        for (const server of servers.filter((s) => s.State.Running && healthOf(s) !== "healthy")) await engine.runHealthchecks([server.Id]);
        await new Promise((resolve) => setTimeout(resolve, 2_000));
      }
    })();
    try {
      await compose(["up", "--detach", "--no-build", "--scale", `server=${REPLICAS}`], 300_000).catch(async (e: unknown) => {
        const health = (await containersOf("server")).map((s) => `${s.Name}: ${JSON.stringify(s.State.Health ?? s.State.Healthcheck)}`);
        throw new Error(`${(e as Error).message}\nThe servers' health:\n${health.join("\n")}`);
      });
      const [client] = await containersOf("client");
      expect(client).toBeDefined();
      const exitCode = await engine.cli(["wait", client!.Id], 120_000);
      const log = await logsOf(engine, client!.Id);
      expect({ exitCode: Number(exitCode.trim()), passed: log.includes("smoke: all calls passed") }).toEqual({ exitCode: 0, passed: true });
      expect(log).not.toContain("FAIL");

      const servers = await containersOf("server");
      expect(servers).toHaveLength(REPLICAS);
      for (const server of servers) expect(healthOf(server)).toBe("healthy");
      nginx = (await containersOf("nginx"))[0]!;
      // Every server was seen not yet healthy at some moment, and nginx and the client were
      // started only after the last of those moments.
      expect(servers.map((s) => notHealthyUntil.has(s.Id))).toEqual(servers.map(() => true));
      const lastNotHealthy = Math.max(...notHealthyUntil.values());
      for (const gated of [client!, nginx]) {
        const startedAt = Date.parse((await inspect<ContainerInfo>(engine, "container", [gated.Id]))[0]!.State.StartedAt);
        expect({ name: gated.Name, startedAfterServersHealthy: startedAt > lastNotHealthy }).toEqual({
          name: gated.Name,
          startedAfterServersHealthy: true,
        });
      }
    } finally {
      watching = false;
      await watch;
    }
  }, 600_000);

  /** The replicas' addresses on the compose network, as nginx names them in `upstream=`. */
  async function replicaAddresses(): Promise<Map<string, ContainerInfo>> {
    const servers = await containersOf("server");
    return new Map(servers.map((s) => [`${Object.values(s.NetworkSettings.Networks ?? {})[0]?.IPAddress}:8080`, s] as const));
  }

  /** nginx's access log entries of these request ids, once each has a success. */
  async function entriesOf(ids: string[]): Promise<AccessLogEntry[]> {
    const wanted = new Set(ids);
    let entries: AccessLogEntry[] = [];
    await waitFor(
      async () => {
        entries = parseAccessLog(await logsOf(engine, nginx.Id)).filter((e) => wanted.has(e.requestId));
        const done = new Set(entries.filter((e) => e.status === 200).map((e) => e.requestId));
        return ids.every((id) => done.has(id));
      },
      15_000,
      () => `nginx's access log lines of ${ids.length} calls`,
    );
    return entries;
  }

  let client: HelloClient;
  beforeAll(() => {
    client = createHelloClient({
      baseUrl: `http://127.0.0.1:${h2cPort}`,
      protocol: "grpc",
      // The SDK's retry policy, with delays short enough for a test.
      retry: { maxAttempts: 5, initialBackoffMs: 25, maxBackoffMs: 250 },
    });
  });
  afterAll(() => client?.close());

  it(`spreads calls over the ${REPLICAS} replicas, through the published port`, async () => {
    const ids = Array.from({ length: 8 * REPLICAS }, (_, i) => `spread-${project}-${i}`);
    for (const id of ids) {
      const { reply } = await client.sayHello({ greeting: id }, { headers: { "x-request-id": id }, timeoutMs: 5_000 });
      expect(reply).toBe(`Hello, ${id}!`);
    }
    const replicas = await replicaAddresses();
    const answeredBy = new Set((await entriesOf(ids)).map((e) => e.upstreams.at(-1)));
    expect([...answeredBy].sort()).toEqual([...replicas.keys()].sort());
    // The HTTP/1.1 listener too (Connect), to the same replicas.
    const connect = createHelloClient({ baseUrl: `http://127.0.0.1:${http1Port}`, protocol: "connect", httpVersion: "1.1" });
    try {
      expect((await connect.sayHello({ greeting: "http1" }, { timeoutMs: 5_000 })).reply).toBe("Hello, http1!");
    } finally {
      connect.close();
    }
  }, 60_000);

  it("loses no call when a replica is killed mid-run: the client retries the calls it held", async () => {
    const replicas = await replicaAddresses();
    const [victimAddress, victim] = [...replicas.entries()][0]!;
    // The workers call without pause until the victim is dead, then 80 calls more: calls are
    // in flight on the victim when it stops, however long the engine takes to stop it (a
    // fixed number of calls could all be answered before a slow `kill` on a busy machine).
    const ids: string[] = [];
    const failures: string[] = [];
    const replies = new Map<string, string>();
    let callsWhenKilled: number | undefined;
    const nextId = () => {
      if (callsWhenKilled !== undefined && ids.length >= callsWhenKilled + 80) return undefined;
      if (ids.length >= 20_000) throw new Error("the victim was not killed within 20,000 calls");
      const id = `kill-${project}-${ids.length}`;
      ids.push(id);
      return id;
    };
    const worker = async () => {
      for (let id = nextId(); id !== undefined; id = nextId()) {
        try {
          const { reply } = await client.sayHello({ greeting: id }, { headers: { "x-request-id": id }, timeoutMs: 10_000 });
          replies.set(id, reply);
        } catch (e) {
          const error = ConnectError.from(e);
          failures.push(`${id}: ${error.code} ${error.rawMessage}`);
        }
      }
    };
    const killed = (async () => {
      await waitFor(
        () => replies.size >= 60,
        30_000,
        () => "60 calls to pass",
      );
      // The victim hangs first (SIGSTOP: its kernel still takes connections and requests), so
      // that calls are waiting on it, then dies as the OOM killer or a liveness probe would
      // kill it: the kernel resets its connections.
      await engine.cli(["kill", "--signal", "SIGSTOP", victim.Id]);
      await new Promise((resolve) => setTimeout(resolve, 500));
      await engine.cli(["kill", "--signal", "SIGKILL", victim.Id]);
      callsWhenKilled = ids.length;
    })();
    await Promise.all([...Array.from({ length: 8 }, worker), killed]);

    expect(failures).toEqual([]);
    expect(ids.map((id) => replies.get(id))).toEqual(ids.map((id) => `Hello, ${id}!`));
    const entries = await entriesOf(ids);
    const failed = entries.filter((e) => e.status !== 200);
    // Calls were on the victim when it died: nginx answered them 502, and the client sent each
    // again (grpc-previous-rpc-attempts) and got its answer from another replica.
    expect(failed.length).toBeGreaterThan(0);
    for (const entry of failed) expect({ status: entry.status, by: entry.upstreams.at(-1) }).toEqual({ status: 502, by: victimAddress });
    const retried = entries.filter((e) => e.previousAttempts > 0);
    expect(new Set(retried.map((e) => e.requestId))).toEqual(new Set(failed.map((e) => e.requestId)));
    for (const entry of retried.filter((e) => e.status === 200)) expect(entry.upstreams.at(-1)).not.toBe(victimAddress);
    const [dead] = await inspect<ContainerInfo>(engine, "container", [victim.Id]);
    expect(dead!.State.Running).toBe(false);
    console.info(`compose: ${failed.length} of ${ids.length} calls were on the killed replica; the client retried each`);
  }, 120_000);
});
