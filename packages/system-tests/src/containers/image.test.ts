/**
 * The image, built from the Dockerfile as it is, run by a real container engine (Docker, or
 * podman installed from apt, with base images assembled locally: see
 * support/container-engine.ts), on 127.0.0.1 only:
 *
 * - it runs as user 1000 with a read-only root filesystem and every capability dropped, and
 *   its own HEALTHCHECK (hello-probe) reports healthy;
 * - from the host, over the published port, it answers gRPC (HTTP/2), gRPC-Web and Connect
 *   (HTTP/1.1 and HTTP/2);
 * - `stop` during a server stream lets the stream deliver every message, and the server exits 0.
 *
 * Run once per `pnpm test` (the `test:containers` task); alone:
 * cd packages/system-tests && pnpm test:containers image
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { createHelloClient, type NodeHelloClientOptions } from "@hello/client";
import { randomUUID } from "node:crypto";
import { stopAll } from "../test-support/processes.js";
import {
  baseImages,
  buildImage,
  type ContainerEngine,
  type ContainerInfo,
  containerEngine,
  inspect,
  logsOf,
  publishedPort,
  serverImage,
  waitHealthy,
} from "./support/container-engine.js";

const IMAGE = serverImage();

let engine: ContainerEngine;
const container = `hello-image-test-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  engine = await containerEngine(baseImages());
  const started = Date.now();
  await buildImage(engine, IMAGE);
  console.info(`${engine.name}: built ${IMAGE} from the Dockerfile in ${Math.round((Date.now() - started) / 1000)} s`);
}, 1_500_000);

afterAll(async () => {
  await engine?.cli(["rm", "--force", container]).catch(() => undefined);
  await stopAll();
}, 60_000);

interface ImageInfo {
  Config: { User: string; Healthcheck?: { Test: string[] } };
  /** Where podman puts it (Docker: in Config). */
  Healthcheck?: { Test: string[] };
}

describe("the image built from the Dockerfile", () => {
  it("runs as user 1000 and checks its health with hello-probe", async () => {
    const [image] = await inspect<ImageInfo>(engine, "image", [IMAGE]);
    expect(image!.Config.User).toBe("1000:1000");
    const healthcheck = image!.Config.Healthcheck ?? image!.Healthcheck;
    expect(healthcheck?.Test.join(" ")).toContain("node dist/probe/main.js --addr");
  });

  let port: number;

  it("runs read-only with every capability dropped, and its own HEALTHCHECK reports healthy", async () => {
    await engine.cli([
      "run",
      "--detach",
      "--name",
      container,
      "--read-only",
      // Podman adds a writable /tmp to a read-only container unless told not to; Docker and
      // Kubernetes (readOnlyRootFilesystem) do not.
      ...(engine.name === "podman" ? ["--read-only-tmpfs=false"] : []),
      "--cap-drop=ALL",
      "--security-opt=no-new-privileges",
      // A short drain bound keeps `stop` quick should the stream below misbehave.
      "--env",
      "SHUTDOWN_GRACE_MS=8000",
      "--publish",
      "127.0.0.1::8080",
      IMAGE,
    ]);
    await waitHealthy(engine, container, 60_000);
    const [info] = await inspect<ContainerInfo>(engine, "container", [container]);
    expect(info!.Config.User).toBe("1000:1000");
    expect(info!.HostConfig.ReadonlyRootfs).toBe(true);
    // What the process itself has (the engines list dropped capabilities differently): uid
    // 1000, and no capability in any set.
    const status = await engine.cli(["exec", container, "cat", "/proc/1/status"]);
    expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe("1000");
    for (const set of ["CapPrm", "CapEff", "CapBnd"])
      expect(`${set} ${new RegExp(`^${set}:\\s+(\\w+)`, "m").exec(status)?.[1]}`).toBe(`${set} 0000000000000000`);
    // Nowhere to write, /tmp included, and yet it serves (see below).
    for (const dir of ["/app", "/tmp"]) {
      await expect(engine.cli(["exec", container, "touch", `${dir}/written`])).rejects.toThrow(/Read-only file system/);
    }
    port = await publishedPort(engine, container, 8080);
  }, 90_000);

  const protocols: Array<{ name: string; options: Pick<NodeHelloClientOptions, "protocol" | "httpVersion"> }> = [
    { name: "gRPC", options: { protocol: "grpc" } },
    { name: "gRPC-Web over HTTP/1.1", options: { protocol: "grpc-web", httpVersion: "1.1" } },
    { name: "gRPC-Web over HTTP/2", options: { protocol: "grpc-web", httpVersion: "2" } },
    { name: "Connect over HTTP/1.1", options: { protocol: "connect", httpVersion: "1.1" } },
    { name: "Connect over HTTP/2", options: { protocol: "connect", httpVersion: "2" } },
  ];
  it.each(protocols)("answers $name from the host on the published port", async ({ options }) => {
    const client = createHelloClient({ baseUrl: `http://127.0.0.1:${port}`, ...options });
    try {
      const { reply } = await client.sayHello({ greeting: "container" }, { timeoutMs: 5_000 });
      expect(reply).toBe("Hello, container!");
      const replies: string[] = [];
      for await (const { reply } of client.lotsOfReplies({ greeting: "stream", replyCount: 2 }, { timeoutMs: 5_000 })) replies.push(reply);
      expect(replies).toEqual(["Hello, stream! (reply 1 of 2)", "Hello, stream! (reply 2 of 2)"]);
    } finally {
      client.close();
    }
  });

  it("rejects an invalid call with INVALID_ARGUMENT, over the published port too", async () => {
    const client = createHelloClient({ baseUrl: `http://127.0.0.1:${port}`, protocol: "grpc" });
    try {
      const error = await client.sayHello({ greeting: "" }, { timeoutMs: 5_000 }).catch((e: unknown) => ConnectError.from(e));
      expect(error).toBeInstanceOf(ConnectError);
      expect(Code[(error as ConnectError).code]).toBe("InvalidArgument");
    } finally {
      client.close();
    }
  });

  it("on `stop` during a server stream, delivers every message, then exits 0", async () => {
    const client = createHelloClient({ baseUrl: `http://127.0.0.1:${port}`, protocol: "grpc" });
    const replies: string[] = [];
    let stopping: Promise<string> | undefined;
    try {
      const stream = client.lotsOfReplies(
        { greeting: "drain", replyCount: 5, replyInterval: { seconds: 0n, nanos: 500_000_000 } },
        { timeoutMs: 20_000 },
      );
      for await (const { reply } of stream) {
        replies.push(reply);
        // SIGTERM (the image's STOPSIGNAL) once the stream is under way; the engine's own
        // grace period (-t) is longer than the server's drain.
        stopping ??= engine.cli(["stop", "--time", "15", container], 30_000);
      }
    } finally {
      client.close();
    }
    await stopping;
    expect(replies).toEqual([1, 2, 3, 4, 5].map((i) => `Hello, drain! (reply ${i} of 5)`));
    const [info] = await inspect<ContainerInfo>(engine, "container", [container]);
    expect({ running: info!.State.Running, exitCode: info!.State.ExitCode }).toEqual({ running: false, exitCode: 0 });
    expect(await logsOf(engine, container)).toContain('"signal":"SIGTERM"');
  }, 60_000);
});
