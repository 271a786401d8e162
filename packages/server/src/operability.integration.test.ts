/**
 * Health checking and server reflection on a real server (127.0.0.1, port 0): `buf curl`
 * without a schema discovers and calls the API through reflection (v1 and v1alpha), the
 * health service answers over gRPC, gRPC-Web and Connect, and a Watch sees NOT_SERVING as
 * soon as the server starts to close.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus as Status, reflectionV1 } from "@hello/sdk";
import { createHelloServer, type HelloServer } from "./server.js";

const root = join(__dirname, "../../..");
const buf = process.env["BUF_BIN"] ?? join(root, "node_modules/.bin/buf");

/** The services the server registered, sorted as buf lists them: derived, never listed by hand. */
let SERVICES: string[];

let server: HelloServer;
const sessions: Http2SessionManager[] = [];

beforeAll(async () => {
  server = createHelloServer({ port: 0, host: "127.0.0.1" });
  await server.listen();
  SERVICES = server.services.map((service) => service.typeName).sort();
});
afterAll(async () => {
  for (const s of sessions) s.abort(new Error("test suite done"));
  await server.close(1_000);
});

/** Runs buf with a time limit; resolves with stdout, rejects with stderr on failure. */
async function runBuf(args: string[]): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(buf, args, { cwd: root, timeout: 20_000 });
    return stdout;
  } catch (e) {
    const error = e as Error & { stderr?: string; code?: number };
    throw new Error(`buf ${args.join(" ")} failed (${error.code}): ${error.stderr ?? error.message}`);
  }
}

function lines(stdout: string): string[] {
  return stdout.split("\n").filter((line) => line !== "");
}

/** Splits concatenated JSON documents, as buf curl prints a stream's messages. */
function jsonDocuments(stdout: string): unknown[] {
  return stdout
    .trim()
    .split(/\n(?=\{)/)
    .map((doc) => JSON.parse(doc) as unknown);
}

function grpcTransport(baseUrl = server.url): Transport {
  const sessionManager = new Http2SessionManager(baseUrl);
  sessions.push(sessionManager);
  return createGrpcTransport({ baseUrl, sessionManager });
}

describe("buf curl without --schema (server reflection)", () => {
  it("--list-services lists every service (HTTP/2 prior knowledge, default reflection protocol)", async () => {
    expect(lines(await runBuf(["curl", "--http2-prior-knowledge", "--list-services", server.url]))).toEqual(SERVICES);
  });

  it("--list-methods lists every method (default flags)", async () => {
    const methods = lines(await runBuf(["curl", "--list-methods", server.url]));
    expect(methods).toEqual(
      expect.arrayContaining([
        "hello.v1.HelloService/SayHello",
        "hello.v1.HelloService/LotsOfReplies",
        "hello.v1.HelloService/LotsOfGreetings",
        "hello.v1.HelloService/BidiHello",
        "grpc.health.v1.Health/Check",
        "grpc.health.v1.Health/Watch",
        "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      ]),
    );
  });

  it("calls SayHello over Connect and gRPC", async () => {
    const url = `${server.url}/hello.v1.HelloService/SayHello`;
    expect(JSON.parse(await runBuf(["curl", "-d", '{"greeting":"reflection"}', url]))).toEqual({
      reply: "Hello, reflection!",
    });
    expect(JSON.parse(await runBuf(["curl", "--protocol", "grpc", "--http2-prior-knowledge", "-d", '{"greeting":"grpc"}', url]))).toEqual({
      reply: "Hello, grpc!",
    });
  });

  it("calls LotsOfReplies and prints every reply", async () => {
    const url = `${server.url}/hello.v1.HelloService/LotsOfReplies`;
    const replies = jsonDocuments(await runBuf(["curl", "-d", '{"greeting":"many","replyCount":2}', url]));
    expect(replies).toHaveLength(2);
    expect(replies[0]).toEqual({ reply: expect.stringContaining("many") });
  });

  it("works with reflection v1alpha (--reflect-protocol grpc-v1alpha)", async () => {
    const flags = ["curl", "--reflect-protocol", "grpc-v1alpha"];
    expect(lines(await runBuf([...flags, "--list-services", server.url]))).toEqual(SERVICES);
    const url = `${server.url}/hello.v1.HelloService/SayHello`;
    expect(JSON.parse(await runBuf([...flags, "-d", '{"greeting":"alpha"}', url]))).toEqual({
      reply: "Hello, alpha!",
    });
  });

  it("calls the health service through reflection", async () => {
    const url = `${server.url}/grpc.health.v1.Health/Check`;
    expect(JSON.parse(await runBuf(["curl", "-d", '{"service":"hello.v1.HelloService"}', url]))).toEqual({
      status: "SERVING",
    });
  });
});

describe("served file descriptors", () => {
  it("match what buf compiles, so clients get complete files", async () => {
    // Everything the server serves, over a real reflection stream.
    const client = createClient(reflectionV1.ServerReflection, grpcTransport());
    const served = new Map<string, FileDescriptorProto>();
    async function* requests() {
      for (const name of SERVICES) yield { messageRequest: { case: "fileContainingSymbol" as const, value: name } };
    }
    for await (const res of client.serverReflectionInfo(requests())) {
      if (res.messageResponse.case !== "fileDescriptorResponse") throw new Error(`unexpected ${res.messageResponse.case}`);
      for (const bytes of res.messageResponse.value.fileDescriptorProto) {
        const file = fromBinary(FileDescriptorProtoSchema, bytes);
        served.set(file.name, file);
      }
    }

    const dir = await mkdtemp(join(tmpdir(), "hello-reflection-"));
    try {
      const out = join(dir, "image.binpb");
      await runBuf(["build", "--as-file-descriptor-set", "--exclude-source-info", "-o", out]);
      const built = new Map(fromBinary(FileDescriptorSetSchema, await readFile(out)).file.map((f) => [f.name, f] as const));
      // The workspace holds more protos than this server registers (examples, the conformance
      // suite's): what it must serve is the files of its services and everything they import.
      const needed = new Set<string>();
      const visit = (name: string): void => {
        if (needed.has(name)) return;
        needed.add(name);
        for (const dependency of built.get(name)?.dependency ?? []) visit(dependency);
      };
      for (const file of built.values()) {
        if (file.service.some((s) => SERVICES.includes(`${file.package}.${s.name}`))) visit(file.name);
      }
      expect(needed.size).toBeGreaterThan(SERVICES.length);
      expect([...served.keys()].sort()).toEqual([...needed].sort());
      for (const [name, file] of served) {
        const expected = built.get(name) ?? create(FileDescriptorProtoSchema);
        if (name === "google/protobuf/descriptor.proto") {
          // @bufbuild/protobuf bootstraps descriptor.proto without options and reserved
          // ranges/names; every declaration is there (see reflection-index.ts).
          expect(withoutOptions(file)).toEqual(withoutOptions(expected));
        } else {
          expect({ name, bytes: Buffer.from(toBinary(FileDescriptorProtoSchema, file)).toString("base64") }).toEqual({
            name,
            bytes: Buffer.from(toBinary(FileDescriptorProtoSchema, expected)).toString("base64"),
          });
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** A descriptor as JSON without options, reserved ranges and names (at any depth). */
function withoutOptions(file: FileDescriptorProto): unknown {
  return JSON.parse(
    JSON.stringify(file, (key, value: unknown) =>
      key === "options" || key === "reservedRange" || key === "reservedName" || key === "$typeName" ? undefined : value,
    ),
  );
}

describe("grpc.health.v1.Health", () => {
  const transports: [string, () => Transport][] = [
    ["gRPC", () => grpcTransport()],
    ["gRPC-Web", () => createGrpcWebTransport({ baseUrl: server.url, httpVersion: "1.1" })],
    ["Connect", () => createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" })],
  ];

  it.each(transports)("Check answers over %s", async (_name, transport) => {
    const client = createClient(Health, transport());
    expect((await client.check({ service: "" })).status).toBe(Status.SERVING);
    expect((await client.check({ service: "hello.v1.HelloService" })).status).toBe(Status.SERVING);
    const error = await client.check({ service: "no.such.Service" }).catch((e: unknown) => ConnectError.from(e));
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.NotFound);
  });

  it("Watch sees NOT_SERVING as soon as close() begins, and does not hold up the drain", async () => {
    const closing = createHelloServer({ port: 0, host: "127.0.0.1" });
    await closing.listen();
    const client = createClient(Health, grpcTransport(closing.url));
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 10_000);
    try {
      const it = client.watch({ service: "hello.v1.HelloService" }, { signal: ac.signal })[Symbol.asyncIterator]();
      expect((await it.next()).value?.status).toBe(Status.SERVING);
      const started = Date.now();
      const closed = closing.close(5_000);
      expect((await it.next()).value?.status).toBe(Status.NOT_SERVING);
      expect((await it.next()).done).toBe(true);
      await closed;
      // Well before the 5 s grace period: the open watch ended instead of waiting for it.
      expect(Date.now() - started).toBeLessThan(2_500);
      expect(closing.health.listenerCount).toBe(0);
    } finally {
      clearTimeout(timer);
      ac.abort();
    }
  });
});
