/**
 * The deployment as docker-compose.yml runs it, on 127.0.0.1 only: Debian's nginx running
 * deploy/nginx/nginx.conf (rewritten only where its "# render:" markers allow) in front of
 * three replicas of the server's `pnpm deploy` bundle, called with the @hello/client SDK:
 *
 * - compose's smoke client passes every RPC kind through both listeners;
 * - for gRPC on the h2c listener, and Connect and gRPC-Web on the HTTP/1.1 one, nginx spreads
 *   calls over all three replicas; when one hangs and is then killed mid-run, no idempotent
 *   call is lost: nginx answers 502 (UNAVAILABLE) for the calls that had reached the dead
 *   replica, which the client retries, and later moves calls on by itself when the replica
 *   refuses the connection (nothing sent yet). Its access log shows both, with the client's
 *   `grpc-previous-rpc-attempts`.
 *
 * Not covered, by construction: a replica killed halfway through writing a response (headers
 * out, trailers not). Over HTTP/2 nginx then resets the client's stream with INTERNAL_ERROR,
 * which gRPC maps to INTERNAL and the client does not retry; the victim here hangs between
 * two calls, so every call it holds has had nothing back.
 *
 * Needs pnpm and nginx (scripts/ensure-system-deps.sh installs them); builds @hello/server
 * and its bundle first. Run: cd packages/system-tests && pnpm exec jest nginx
 */
import { randomUUID } from "node:crypto";
import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { createHelloClient, type HelloClient, type NodeHelloClientOptions } from "@hello/client";
import type { AccessLogEntry } from "./test-support/access-log.js";
import { kill, run, stopAll, waitFor } from "./test-support/processes.js";
import { bundleEnv, type Replica, root, serverBundle, startReplica } from "./test-support/server-bundle.js";
import { type Nginx, startNginx } from "./test-support/start-nginx.js";
import { unreadBytesAt } from "./test-support/unread-bytes-at.js";

afterAll(stopAll, 30_000);

let bundleDir: string;
beforeAll(async () => {
  bundleDir = await serverBundle();
}, 360_000);

/** Three replicas and nginx in front of them. */
interface Stack {
  replicas: Replica[];
  nginx: Nginx;
}

async function startStack(): Promise<Stack> {
  const replicas = await Promise.all(
    // A short drain, so that stopAll's SIGTERM ends them quickly.
    [0, 1, 2].map(() => startReplica(bundleDir, { SHUTDOWN_GRACE_MS: "1000" })),
  );
  return { replicas, nginx: await startNginx(replicas.map((r) => r.address)) };
}

/** The client's retry policy: the SDK's, with delays short enough for a test. */
const RETRY = { maxAttempts: 5, initialBackoffMs: 25, maxBackoffMs: 250 };

/** An access log entry of a call that succeeded (Connect and gRPC-Web send no grpc-status header). */
const succeeded = (entry: AccessLogEntry) => entry.status === 200 && (entry.grpcStatus === "0" || entry.grpcStatus === "");

/** The replica that answered: the last one nginx tried. */
const answeredBy = (entry: AccessLogEntry) => entry.upstreams.at(-1);

/** The access log entries of these request ids, once nginx has logged at least one success for each. */
async function entriesOf(nginx: Nginx, ids: string[]): Promise<AccessLogEntry[]> {
  const wanted = new Set(ids);
  let entries: AccessLogEntry[] = [];
  await waitFor(
    () => {
      entries = nginx.accessLog().filter((e) => wanted.has(e.requestId));
      const done = new Set(entries.filter(succeeded).map((e) => e.requestId));
      return ids.every((id) => done.has(id));
    },
    5_000,
    () => `access log lines for ${ids.length} calls:\n${nginx.stdout()}`,
  );
  return entries;
}

describe("compose's smoke client through nginx", () => {
  it("passes every RPC kind through, gRPC on h2c and Connect/gRPC-Web on HTTP/1.1", async () => {
    const { nginx } = await startStack();
    // As in docker-compose.yml: the smoke client runs from the bundle's directory.
    copyFileSync(join(root, "deploy/compose/smoke-client.mjs"), join(bundleDir, "smoke-client.mjs"));
    const { stdout } = await run(process.execPath, ["smoke-client.mjs", nginx.h2cUrl, nginx.http1Url], {
      cwd: bundleDir,
      env: bundleEnv(),
      timeoutMs: 30_000,
    });
    expect(stdout).toContain("smoke: all calls passed");
    expect(stdout).not.toContain("FAIL");
  });
});

interface Variant {
  name: string;
  /** The nginx listener the client calls. */
  listener: "h2c" | "http1";
  options: Pick<NodeHelloClientOptions, "protocol" | "httpVersion">;
}

const variants: Variant[] = [
  { name: "gRPC on the h2c listener", listener: "h2c", options: { protocol: "grpc" } },
  { name: "Connect on the HTTP/1.1 listener", listener: "http1", options: { protocol: "connect", httpVersion: "1.1" } },
  { name: "gRPC-Web on the HTTP/1.1 listener", listener: "http1", options: { protocol: "grpc-web", httpVersion: "1.1" } },
];

describe.each(variants)("nginx in front of three replicas, the SDK client over $name", ({ listener, options }) => {
  let stack: Stack;
  let client: HelloClient;
  const runId = randomUUID().slice(0, 8);

  beforeAll(async () => {
    stack = await startStack();
    client = createHelloClient({
      baseUrl: listener === "h2c" ? stack.nginx.h2cUrl : stack.nginx.http1Url,
      ...options,
      retry: RETRY,
    });
  }, 60_000);
  afterAll(() => client?.close());

  it("spreads calls over all three replicas", async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `spread-${runId}-${i}`);
    for (const id of ids) {
      const { reply } = await client.sayHello({ greeting: id }, { headers: { "x-request-id": id }, timeoutMs: 5_000 });
      expect(reply).toBe(`Hello, ${id}!`);
    }
    const entries = await entriesOf(stack.nginx, ids);
    expect(new Set(entries.map(answeredBy))).toEqual(new Set(stack.replicas.map((r) => r.address)));
  });

  it("loses no idempotent call when a replica hangs and is then killed mid-run: the client retries what nginx could not", async () => {
    const victim = stack.replicas[0]!;
    const survivors = stack.replicas.slice(1).map((r) => r.address);
    const ids = Array.from({ length: 150 }, (_, i) => `kill-${runId}-${i}`);
    const failures: string[] = [];
    const replies = new Map<string, string>();

    /** Calls SayHello once for each id, eight at a time. */
    async function callAll(batch: string[]): Promise<void> {
      let next = 0;
      const worker = async () => {
        for (let id = batch[next++]; id !== undefined; id = batch[next++]) {
          try {
            const { reply } = await client.sayHello({ greeting: id }, { headers: { "x-request-id": id }, timeoutMs: 10_000 });
            replies.set(id, reply);
          } catch (e) {
            const error = ConnectError.from(e);
            failures.push(`${id}: ${Code[error.code]} ${error.rawMessage}`);
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
    }

    await callAll(ids.slice(0, 50));
    // The victim hangs between two calls (SIGSTOP: the kernel still accepts its connections
    // and requests), so the calls nginx sends it from now on wait there with nothing back.
    // Once some do, it is killed, as a liveness probe or the OOM killer would, and the kernel
    // resets its connections.
    kill(victim.child, "SIGSTOP");
    const killed = (async () => {
      await waitFor(
        () => unreadBytesAt(victim.port) > 0,
        10_000,
        () => "a call to reach the hung replica",
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      kill(victim.child, "SIGKILL");
    })();
    await callAll(ids.slice(50));
    await killed;

    expect(failures).toEqual([]);
    expect(ids.map((id) => replies.get(id))).toEqual(ids.map((id) => `Hello, ${id}!`));
    expect(await victim.exited).toBeNull(); // killed, not exited

    const entries = await entriesOf(stack.nginx, ids);
    // Every call succeeded exactly once, and all three replicas answered some.
    expect(
      entries
        .filter(succeeded)
        .map((e) => e.requestId)
        .sort(),
    ).toEqual([...ids].sort());
    expect(new Set(entries.filter(succeeded).map(answeredBy))).toEqual(new Set(stack.replicas.map((r) => r.address)));
    // The calls the victim held when it died came back from nginx as 502 — nginx never sends a
    // request again once it reached a replica — and the client sent each one again, with
    // grpc-previous-rpc-attempts, to a survivor.
    const failed = entries.filter((e) => !succeeded(e));
    expect(failed.length).toBeGreaterThan(0);
    for (const entry of failed) {
      expect({ id: entry.requestId, status: entry.status, answeredBy: answeredBy(entry) }).toEqual({
        id: entry.requestId,
        status: 502,
        answeredBy: victim.address,
      });
    }
    const retried = entries.filter((e) => e.previousAttempts > 0);
    expect(new Set(retried.map((e) => e.requestId))).toEqual(new Set(failed.map((e) => e.requestId)));
    for (const entry of retried.filter(succeeded)) expect(survivors).toContain(answeredBy(entry));
    console.info(
      `${listener} ${options.protocol}: ${failed.length} of ${ids.length} calls were on the replica when it died; the client retried each`,
    );
  });

  it("then, once fail_timeout has passed, tries the dead replica again and moves the call to a survivor by itself", async () => {
    const victim = stack.replicas[0]!;
    expect(victim.child.signalCode).toBe("SIGKILL");
    // nginx skips a failed replica for fail_timeout, counted in whole seconds from the second
    // of its last failure (so up to one more); then its weight, lowered by the failures,
    // recovers round by round until nginx picks it again.
    const conf = readFileSync(join(root, "deploy/nginx/nginx.conf"), "utf8");
    const failTimeoutMs = 1_000 * Number(/\bfail_timeout=(\d+)s\b/.exec(conf)?.[1]);
    await new Promise((resolve) => setTimeout(resolve, failTimeoutMs + 1_200));
    const ids = Array.from({ length: 30 }, (_, i) => `again-${runId}-${i}`);
    for (const id of ids) {
      const { reply } = await client.sayHello({ greeting: id }, { headers: { "x-request-id": id }, timeoutMs: 5_000 });
      expect(reply).toBe(`Hello, ${id}!`);
    }
    const entries = await entriesOf(stack.nginx, ids);
    // One entry per call, first attempts all: the client saw no failure. Nginx met a refused
    // connection (502) on the dead replica — nothing sent yet — and went on to a survivor.
    expect(entries.map((e) => [e.requestId, e.previousAttempts])).toEqual(ids.map((id) => [id, 0]));
    const movedOn = entries.filter((e) => e.upstreams.length > 1);
    expect(movedOn.length).toBeGreaterThan(0);
    for (const entry of movedOn) {
      expect(entry.upstreams[0]).toBe(victim.address);
      expect(entry.upstreamStatuses).toEqual(["502", "200"]);
    }
    const first = ids.indexOf(movedOn[0]!.requestId) + 1;
    console.info(`${listener} ${options.protocol}: nginx tried the dead replica again with call ${first}`);
  }, 30_000);
});
