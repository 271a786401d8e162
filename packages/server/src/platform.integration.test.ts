/**
 * The platform with a service it has never heard of: `fixture.v1.NotesService`, from a
 * test-only proto compiled at run time (@hello/test-fixtures), stateful, registered through
 * `createServer({ routes })`. On real port-0 servers, with the fast path on and off, over
 * every protocol and HTTP version: one instance of the service behind every path, and
 * health, reflection, validation, metrics, the call log and CORS following it.
 */
import { execFile } from "node:child_process";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { join } from "node:path";
import { promisify } from "node:util";
import { create, type DescService, type Message } from "@bufbuild/protobuf";
import { ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { type Client, Code, ConnectError, type ConnectRouter, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus as Status, reflectionV1 } from "@hello/sdk";
import { createNoteStore, createNotesService, loadFixtureSchema, NOTE_COUNT_TRAILER } from "@hello/test-fixtures";
import { pino } from "pino";
import { FAST_PATH_CHANNEL } from "./fast-path/fast-path.js";
import { CALL_LOG_MESSAGE } from "./observability/call-log.js";
import { createServer, type Server } from "./server.js";
import { parsePrometheusText, sumOf } from "./test-support/prometheus-text.js";

const { notesService } = loadFixtureSchema();
const NOTES = notesService.typeName;

interface Variant {
  name: string;
  http2: boolean;
  transport(): Transport;
}

/** Every protocol and HTTP version the server serves, by connect's own clients. */
function variantsOf(url: string, sessions: Http2SessionManager[]): Variant[] {
  const h2 = () => {
    const sessionManager = new Http2SessionManager(url);
    sessions.push(sessionManager);
    return { httpVersion: "2" as const, sessionManager };
  };
  return [
    { name: "gRPC over HTTP/2", http2: true, transport: () => createGrpcTransport({ baseUrl: url, ...h2() }) },
    { name: "gRPC-Web over HTTP/1.1", http2: false, transport: () => createGrpcWebTransport({ baseUrl: url, httpVersion: "1.1" }) },
    { name: "gRPC-Web over HTTP/2", http2: true, transport: () => createGrpcWebTransport({ baseUrl: url, ...h2() }) },
    { name: "Connect over HTTP/1.1", http2: false, transport: () => createConnectTransport({ baseUrl: url, httpVersion: "1.1" }) },
    { name: "Connect over HTTP/2", http2: true, transport: () => createConnectTransport({ baseUrl: url, ...h2() }) },
    {
      name: "Connect JSON over HTTP/2",
      http2: true,
      transport: () => createConnectTransport({ baseUrl: url, ...h2(), useBinaryFormat: false }),
    },
  ];
}

type Fields = Record<string, unknown>;
const fields = (message: Message) => message as unknown as Fields;

/** A client of the runtime-described service: methods by local name, untyped messages. */
type NotesClient = Record<string, (...args: unknown[]) => unknown>;
function notesClient(transport: Transport): NotesClient {
  return createClient(notesService as DescService, transport) as unknown as NotesClient;
}

async function* texts(...values: string[]) {
  for (const text of values) yield { text };
}

async function collect(stream: unknown): Promise<Fields[]> {
  const out: Fields[] = [];
  for await (const message of stream as AsyncIterable<Message>) out.push(fields(message));
  return out;
}

describe.each([
  { fastPath: true, label: "with the fast path" },
  { fastPath: false, label: "without the fast path" },
])("a service registered through createServer({ routes }), $label", ({ fastPath }) => {
  let server: Server;
  let routesRuns = 0;
  let variants: Variant[];
  const sessions: Http2SessionManager[] = [];
  const lines: Fields[] = [];
  const fastPathCalls: string[] = [];
  const onFastPath = (message: unknown) => fastPathCalls.push((message as { path: string }).path);

  beforeAll(async () => {
    subscribe(FAST_PATH_CHANNEL, onFastPath);
    // Built outside the routes, as an application does: the store is the service's
    // injected dependency.
    const notes = createNotesService(notesService, createNoteStore());
    const routes = (router: ConnectRouter) => {
      routesRuns++;
      router.service(notesService, notes as never);
    };
    server = createServer({
      port: 0,
      host: "127.0.0.1",
      routes,
      fastPath,
      corsOrigins: ["http://app.test"],
      corsExposedHeaders: [NOTE_COUNT_TRAILER],
      logger: pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as Fields) }),
    });
    await server.listen();
    variants = variantsOf(server.url, sessions);
  });
  afterAll(async () => {
    unsubscribe(FAST_PATH_CHANNEL, onFastPath);
    for (const session of sessions) session.abort(new Error("suite done"));
    await server.close(1_000);
  });

  it("runs the routes exactly once", () => {
    expect(routesRuns).toBe(1);
    expect(server.services.map((s) => s.typeName)).toEqual([
      NOTES,
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
    ]);
  });

  it("reads through every path what was written through every other", async () => {
    const written: { id: string; text: string; by: string }[] = [];
    for (const variant of variants) {
      const note = fields((await notesClient(variant.transport())["createNote"]!({ text: variant.name })) as Message);
      written.push({ id: String(note["id"]), text: variant.name, by: variant.name });
    }
    expect(new Set(written.map((w) => w.id)).size).toBe(variants.length);
    for (const reader of variants) {
      const client = notesClient(reader.transport());
      for (const { id, text } of written) {
        const note = fields((await client["getNote"]!({ id })) as Message);
        expect({ reader: reader.name, id: note["id"], text: note["text"] }).toEqual({ reader: reader.name, id, text });
      }
      const listed = await collect(client["listNotes"]!({}));
      expect(listed.map((n) => n["id"])).toEqual(expect.arrayContaining(written.map((w) => w.id)));
    }
    // gRPC and Connect unary over HTTP/2 took the fast path when it is on, and only then.
    const unaryPaths = fastPathCalls.filter((p) => p.endsWith("/CreateNote") || p.endsWith("/GetNote"));
    if (fastPath) expect(unaryPaths.length).toBeGreaterThanOrEqual(4 * (1 + variants.length));
    else expect(unaryPaths).toEqual([]);
  });

  it("streams in both directions over the same store", async () => {
    for (const variant of variants) {
      const client = notesClient(variant.transport());
      const before = (await collect(client["listNotes"]!({}))).length;
      const added = fields((await client["addNotes"]!(texts(`${variant.name} a`, `${variant.name} b`))) as Message);
      expect(added["count"]).toBe(2);
      if (variant.http2) {
        const synced = await collect(client["syncNotes"]!(texts(`${variant.name} c`)));
        expect(synced.map((n) => n["text"])).toEqual([`${variant.name} c`]);
      } else {
        // HTTP/1.1 cannot carry a bidirectional stream: the server says so.
        const error = await collect(client["syncNotes"]!(texts("x"))).then(
          () => undefined,
          (e: unknown) => ConnectError.from(e),
        );
        expect(error?.code).toBe(Code.Unimplemented);
        expect(error?.rawMessage).toContain("needs HTTP/2");
      }
      const after = await collect(client["listNotes"]!({}));
      expect(after.length).toBe(before + (variant.http2 ? 3 : 2));
      expect(after.map((n) => n["text"])).toEqual(expect.arrayContaining([`${variant.name} a`, `${variant.name} b`]));
    }
  });

  it("answers invalid requests with INVALID_ARGUMENT and the violations, on every path", async () => {
    for (const variant of variants) {
      const error = await Promise.resolve(notesClient(variant.transport())["createNote"]!({ text: "" })).then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      expect({ variant: variant.name, code: error?.code }).toEqual({ variant: variant.name, code: Code.InvalidArgument });
      const violations = error?.findDetails(ViolationsSchema) ?? [];
      expect(violations[0]?.violations.map((v) => v.field?.elements.map((e) => e.fieldName).join("."))).toEqual(["text"]);
    }
  });

  it("answers NOT_FOUND from the handler, with the trailer the service sets", async () => {
    for (const variant of variants) {
      let trailer: string | null = null;
      const client = notesClient(variant.transport());
      await client["createNote"]!({ text: "counted" }, { onTrailer: (t: Headers) => (trailer = t.get(NOTE_COUNT_TRAILER)) });
      expect(Number(trailer)).toBeGreaterThan(0);
      const error = await Promise.resolve(client["getNote"]!({ id: "missing" })).then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      expect(error?.code).toBe(Code.NotFound);
    }
  });

  it("is reached by buf curl, which knows the service only from reflection, over every protocol", async () => {
    const buf = process.env["BUF_BIN"] ?? join(__dirname, "../../../node_modules/.bin/buf");
    const curl = async (protocol: string, method: string, body: string) => {
      const flags = protocol === "grpc" ? ["--protocol", "grpc", "--http2-prior-knowledge"] : ["--protocol", protocol];
      const { stdout } = await promisify(execFile)(buf, ["curl", ...flags, "-d", body, `${server.url}/${NOTES}/${method}`], {
        timeout: 20_000,
      });
      return JSON.parse(stdout) as Record<string, unknown>;
    };
    const created = await curl("grpc", "CreateNote", '{"text":"from buf curl"}');
    expect(created["text"]).toBe("from buf curl");
    for (const protocol of ["grpcweb", "connect"]) {
      expect(await curl(protocol, "GetNote", JSON.stringify({ id: created["id"] }))).toEqual(created);
    }
  });

  it("lists the service in server reflection and describes it", async () => {
    const reflection = createClient(reflectionV1.ServerReflection, variants[0]!.transport());
    async function* requests() {
      yield { messageRequest: { case: "listServices" as const, value: "" } };
      yield { messageRequest: { case: "fileContainingSymbol" as const, value: `${NOTES}.CreateNote` } };
    }
    const responses = [];
    for await (const response of reflection.serverReflectionInfo(requests())) responses.push(response);
    const list = responses[0]?.messageResponse;
    expect(list?.case === "listServicesResponse" && list.value.service.map((s) => s.name)).toContain(NOTES);
    const files = responses[1]?.messageResponse;
    expect(files?.case).toBe("fileDescriptorResponse");
  });

  it("reports the service's health through Check and Watch", async () => {
    const health = createClient(Health, variants[0]!.transport());
    expect((await health.check({ service: NOTES })).status).toBe(Status.SERVING);
    const abort = new AbortController();
    const watch = health.watch({ service: NOTES }, { signal: abort.signal })[Symbol.asyncIterator]();
    expect((await watch.next()).value?.status).toBe(Status.SERVING);
    server.health.set(NOTES, "NOT_SERVING");
    expect((await watch.next()).value?.status).toBe(Status.NOT_SERVING);
    server.health.set(NOTES, "SERVING");
    expect((await watch.next()).value?.status).toBe(Status.SERVING);
    abort.abort();
  });

  it("counts the service's calls in the metrics and logs each of them", async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const samples = parsePrometheusText(text);
    for (const method of ["CreateNote", "GetNote", "ListNotes", "AddNotes", "SyncNotes"]) {
      expect({ method, handled: sumOf(samples, "grpc_server_handled_total", { grpc_service: NOTES, grpc_method: method }) > 0 }).toEqual({
        method,
        handled: true,
      });
    }
    expect(sumOf(samples, "grpc_server_handled_total", { grpc_service: NOTES, grpc_code: "NotFound" })).toBe(variants.length);
    const calls = lines.filter((l) => l["msg"] === CALL_LOG_MESSAGE && l["service"] === NOTES);
    expect(new Set(calls.map((l) => l["method"]))).toEqual(new Set(["CreateNote", "GetNote", "ListNotes", "AddNotes", "SyncNotes"]));
    expect(new Set(calls.map((l) => l["protocol"]))).toEqual(new Set(["grpc", "grpc-web", "connect"]));
  });

  it("exposes the service's own headers to browsers, with the Connect trailer prefix", async () => {
    const preflight = await fetch(`${server.url}/${NOTES}/CreateNote`, {
      method: "OPTIONS",
      headers: { origin: "http://app.test", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(204);
    const exposed = (preflight.headers.get("access-control-expose-headers") ?? "").split(", ");
    expect(exposed).toEqual(expect.arrayContaining(["x-request-id", NOTE_COUNT_TRAILER, `trailer-${NOTE_COUNT_TRAILER}`]));
    expect(exposed).not.toContain("x-reply-count");
  });
});

describe("createServer() without routes", () => {
  it("serves health and reflection only, and answers UNIMPLEMENTED for anything else", async () => {
    const server = createServer({ port: 0, host: "127.0.0.1" });
    await server.listen();
    const sessions: Http2SessionManager[] = [];
    try {
      expect(server.services.map((s) => s.typeName)).toEqual([
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
      ]);
      const transport = variantsOf(server.url, sessions)[0]!.transport();
      expect((await createClient(Health, transport).check({ service: "" })).status).toBe(Status.SERVING);
      const notes: Client<DescService> = createClient(notesService as DescService, transport);
      const error = await Promise.resolve((notes as unknown as NotesClient)["getNote"]!({ id: "n1" })).then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      expect(error?.code).toBe(Code.Unimplemented);
    } finally {
      for (const session of sessions) session.abort(new Error("done"));
      await server.close(1_000);
    }
  });

  it("does not register a platform service again when the routes bring their own", async () => {
    let checks = 0;
    const server = createServer({
      port: 0,
      host: "127.0.0.1",
      reflection: false,
      routes: (router) => {
        router.service(Health, {
          check: () => {
            checks++;
            return create(HealthCheckResponseSchemaOf(), { status: Status.SERVING });
          },
        });
      },
    });
    await server.listen();
    const sessions: Http2SessionManager[] = [];
    try {
      expect(server.services.map((s) => s.typeName)).toEqual(["grpc.health.v1.Health"]);
      await createClient(Health, variantsOf(server.url, sessions)[0]!.transport()).check({ service: "anything" });
      expect(checks).toBe(1);
    } finally {
      for (const session of sessions) session.abort(new Error("done"));
      await server.close(1_000);
    }
  });
});

function HealthCheckResponseSchemaOf() {
  return Health.method.check.output;
}
