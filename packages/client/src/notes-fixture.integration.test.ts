/**
 * The client half of the platform suite (the server half is `platform.integration.test.ts`
 * in @hello/server, which may not depend on this package): the stateful, test-only
 * `fixture.v1.NotesService` served by `createServer({ routes })` with the fast path on and
 * off, reached through every method kind by the generic `createClient` over every protocol
 * and HTTP version, and by the real `hello call` knowing the service only from reflection.
 */
import type { DescService, Message } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { createServer, type Server } from "@hello/server";
import { createNoteStore, createNotesService, loadFixtureSchema, NOTE_COUNT_TRAILER } from "@hello/test-fixtures";
import { createClient, type ServiceClient } from "./create-client.js";
import type { NodeClientOptions } from "./node-client-options.js";
import { createCliRunner } from "./test-support/cli-runner.js";

const { notesService } = loadFixtureSchema();
const NOTES = notesService.typeName;

type Fields = Record<string, unknown>;
/** The generic client of a runtime-described service: methods by local name, untyped messages. */
type NotesClient = Record<string, (...args: unknown[]) => unknown>;

/** Every protocol and HTTP version, as `createClient` options. */
const VARIANTS: { name: string; options: Omit<NodeClientOptions, "baseUrl"> }[] = [
  { name: "gRPC over HTTP/2", options: { protocol: "grpc" } },
  { name: "gRPC JSON over HTTP/2", options: { protocol: "grpc", useJson: true } },
  { name: "gRPC-Web over HTTP/1.1", options: { protocol: "grpc-web", httpVersion: "1.1" } },
  { name: "gRPC-Web over HTTP/2", options: { protocol: "grpc-web", httpVersion: "2" } },
  { name: "Connect over HTTP/1.1", options: { protocol: "connect", httpVersion: "1.1" } },
  { name: "Connect over HTTP/2", options: { protocol: "connect", httpVersion: "2" } },
  { name: "Connect JSON over HTTP/1.1", options: { protocol: "connect", httpVersion: "1.1", useJson: true } },
];

async function* texts(...values: string[]) {
  for (const text of values) yield { text };
}

async function collect(stream: unknown): Promise<Fields[]> {
  const out: Fields[] = [];
  for await (const message of stream as AsyncIterable<Message>) out.push(message as unknown as Fields);
  return out;
}

describe.each([
  { fastPath: true, label: "with the fast path" },
  { fastPath: false, label: "without the fast path" },
])("fixture.v1.NotesService through @hello/client, $label", ({ fastPath }) => {
  let server: Server;
  const clients: ServiceClient<DescService>[] = [];
  const cli = createCliRunner(() => server.url);

  beforeAll(async () => {
    const notes = createNotesService(notesService, createNoteStore());
    server = createServer({
      port: 0,
      host: "127.0.0.1",
      fastPath,
      routes: (router: ConnectRouter) => router.service(notesService, notes as never),
    });
    await server.listen();
  });
  afterAll(async () => {
    cli.killAll();
    for (const client of clients) client.close();
    await server.close(1_000);
  });

  const notesClient = (options: Omit<NodeClientOptions, "baseUrl">): NotesClient => {
    const client = createClient(notesService, { baseUrl: server.url, ...options });
    clients.push(client);
    return client as unknown as NotesClient;
  };

  describe("the generic client", () => {
    it("calls every method kind over every protocol and HTTP version, on one store", async () => {
      let previous: { id: unknown; text: string } | undefined;
      for (const { name, options } of VARIANTS) {
        const client = notesClient(options);
        const http2 = options.protocol === "grpc" || options.httpVersion === "2";
        // Unary: what the previous variant wrote is read through this one.
        let count: string | null = null;
        const created = (await client["createNote"]!(
          { text: name },
          { onTrailer: (t: Headers) => (count = t.get(NOTE_COUNT_TRAILER)) },
        )) as Fields;
        expect({ name, text: created["text"], counted: Number(count) > 0 }).toEqual({ name, text: name, counted: true });
        if (previous !== undefined) {
          const read = (await client["getNote"]!({ id: previous.id })) as Fields;
          expect({ name, text: read["text"] }).toEqual({ name, text: previous.text });
        }
        previous = { id: created["id"], text: name };
        // Client stream, then server stream: both see the same store.
        const added = (await client["addNotes"]!(texts(`${name} a`, `${name} b`))) as Fields;
        expect({ name, count: added["count"] }).toEqual({ name, count: 2 });
        const listed = (await collect(client["listNotes"]!({}))).map((n) => n["text"]);
        expect(listed).toEqual(expect.arrayContaining([name, `${name} a`, `${name} b`]));
        // Bidi: each message answered with the stored note; HTTP/1.1 cannot carry it.
        if (http2) {
          const synced = await collect(client["syncNotes"]!(texts(`${name} c`, `${name} d`)));
          expect({ name, synced: synced.map((n) => n["text"]) }).toEqual({ name, synced: [`${name} c`, `${name} d`] });
        } else {
          const error = await collect(client["syncNotes"]!(texts("x"))).then(
            () => undefined,
            (e: unknown) => ConnectError.from(e),
          );
          expect({ name, code: error?.code }).toEqual({ name, code: Code.Unimplemented });
        }
      }
    });

    it("gets the service's validation error with its code on every protocol", async () => {
      for (const { name, options } of VARIANTS) {
        const error = await Promise.resolve(notesClient(options)["createNote"]!({ text: "" })).then(
          () => undefined,
          (e: unknown) => ConnectError.from(e),
        );
        expect({ name, code: error?.code, details: (error?.details.length ?? 0) > 0 }).toEqual({
          name,
          code: Code.InvalidArgument,
          details: true,
        });
      }
    });
  });

  describe("hello call", () => {
    describe.each(["grpc", "grpc-web", "connect"])("over %s, with the schema from reflection", (protocol) => {
      const flags = ["--protocol", protocol];

      it("writes and reads unary, sharing the store with the generic client", async () => {
        const created = await cli.runCli([...flags, "call", `${NOTES}/CreateNote`, "-d", `{"text": "cli ${protocol}"}`]);
        expect({ code: created.code, stderr: created.stderr }).toEqual({ code: 0, stderr: "" });
        const note = JSON.parse(created.stdout) as Fields;
        expect(note["text"]).toBe(`cli ${protocol}`);
        const client = notesClient({ protocol: "connect", httpVersion: "1.1" });
        expect(((await client["getNote"]!({ id: note["id"] })) as Fields)["text"]).toBe(`cli ${protocol}`);
        const byClient = (await client["createNote"]!({ text: `client for ${protocol}` })) as Fields;
        const read = await cli.runCli([...flags, "call", `${NOTES}/GetNote`], { stdin: JSON.stringify({ id: byClient["id"] }) });
        expect(read).toMatchObject({ code: 0, stdout: `${JSON.stringify({ id: byClient["id"], text: `client for ${protocol}` })}\n` });
      });

      it("sends a client stream from stdin lines", async () => {
        const added = await cli.runCli([...flags, "call", `${NOTES}/AddNotes`], {
          stdin: `{"text": "${protocol} x"}\n{"text": "${protocol} y"}\n`,
        });
        expect(added).toMatchObject({ code: 0, stdout: '{"count":2}\n', stderr: "" });
      });

      it("prints a server stream of what the other calls stored", async () => {
        const client = notesClient({ protocol: "grpc" });
        await client["addNotes"]!(texts(`${protocol} listed 1`, `${protocol} listed 2`));
        const listed = await cli.runCli([...flags, "call", `${NOTES}/ListNotes`, "-d", "{}"]);
        expect({ code: listed.code, stderr: listed.stderr }).toEqual({ code: 0, stderr: "" });
        const listedTexts = listed.stdout
          .trim()
          .split("\n")
          .map((line) => (JSON.parse(line) as Fields)["text"]);
        expect(listedTexts).toEqual(expect.arrayContaining([`${protocol} listed 1`, `${protocol} listed 2`]));
        expect(listedTexts.length).toBe((await collect(client["listNotes"]!({}))).length);
      });

      it("ping-pongs a bidi stream: each line's answer arrives before the next line is sent", async () => {
        const sync = cli.startCli([...flags, "call", `${NOTES}/SyncNotes`]);
        for (const word of ["one", "two"]) {
          sync.child.stdin?.write(`{"text": "${protocol} ${word}"}\n`);
          await sync.waitForLine((text) => (JSON.parse(text) as Fields)["text"] === `${protocol} ${word}`);
        }
        sync.child.stdin?.end();
        expect(await sync.done).toMatchObject({ code: 0, stderr: "" });
      });
    });

    it.each(["grpc-web", "connect"])("reaches the unary and client-stream methods over %s --http1", async (protocol) => {
      const created = await cli.runCli(["--protocol", protocol, "--http1", "call", `${NOTES}/CreateNote`, "-d", '{"text": "h1"}']);
      expect(created.code).toBe(0);
      expect((JSON.parse(created.stdout) as Fields)["text"]).toBe("h1");
      const added = await cli.runCli(["--protocol", protocol, "--http1", "call", `${NOTES}/AddNotes`], { stdin: '{"text": "h1 a"}\n' });
      expect(added).toMatchObject({ code: 0, stdout: '{"count":1}\n' });
    });

    it("exits 3 with the violation for an invalid note", async () => {
      const result = await cli.runCli(["call", `${NOTES}/CreateNote`, "-d", '{"text": ""}']);
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(/^ {2}text: .*\(rule string\.min_len\)$/m);
    });

    it("lists and describes the service", async () => {
      const list = await cli.runCli(["list"]);
      expect(list.code).toBe(0);
      expect(list.stdout.split("\n")).toContain(NOTES);
      const described = await cli.runCli(["describe", NOTES]);
      expect(described.code).toBe(0);
      for (const method of ["CreateNote", "GetNote", "ListNotes", "AddNotes", "SyncNotes"]) {
        expect(described.stdout).toContain(method);
      }
    });
  });
});
