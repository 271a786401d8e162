/**
 * Smoke test of every example, as grpc-go's examples/features are: each folder's `main.ts`
 * runs as a real child process — `node --conditions=@hello/source --import tsx <name>/main.ts`,
 * exactly what its README tells people to run — once with a server of its own and once
 * against `HELLO_URL`, and its output must be the lines listed here. A new folder without
 * an entry here, a README longer than three sentences, or an example whose output drifts
 * fails the suite.
 *
 * Every child is killed after {@link CHILD_TIMEOUT_MS} at the latest, and in `afterAll`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { createHelloServer } from "@hello/server";

const EXAMPLES_DIR = __dirname;
/** Folders that are not examples: support code and installed packages. */
const NOT_EXAMPLES = new Set(["shared", "node_modules"]);
/** No example may run longer than this (they take about a second; CI machines can be busy). */
const CHILD_TIMEOUT_MS = 30_000;

/** What an example must print, line by line. */
interface ExpectedOutput {
  /** Every line of stdout, in order: a string matches exactly, a RegExp the whole line. */
  readonly lines: readonly (string | RegExp)[];
  /** Lines left out before comparing: output whose count depends on timing. */
  readonly ignore?: RegExp;
  /** The example serves a service of its own, so it never calls `HELLO_URL`'s server. */
  readonly ownServer?: true;
}

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

/** Every example, by folder name, and its output. */
const EXAMPLES: Record<string, ExpectedOutput> = {
  "adding-a-service": {
    ownServer: true,
    lines: [
      'grpc wrote t1, grpc-web read "task over grpc"',
      'grpc-web wrote t2, connect read "task over grpc-web"',
      'connect wrote t3, grpc read "task over connect"',
      "listed: t1, t2, t3",
      "empty title: InvalidArgument",
      "served: todo.v1.TodoService, grpc.health.v1.Health, grpc.reflection.v1.ServerReflection, grpc.reflection.v1alpha.ServerReflection",
      "OK adding-a-service: 3 to-dos, one store, three protocols",
    ],
  },
  unary: {
    lines: ["grpc: Hello, world!", "grpc-web: Hello, world!", "connect: Hello, world!", "OK unary: Hello, world!"],
  },
  "server-streaming": {
    lines: [
      "reply: Hello, world! (reply 1 of 3)",
      "reply: Hello, world! (reply 2 of 3)",
      "reply: Hello, world! (reply 3 of 3)",
      "OK server-streaming: 3 replies, x-reply-count=3",
    ],
  },
  "client-streaming": {
    lines: [
      "send: Alice",
      "send: Bob",
      "send: Carol",
      "reply: Hello, Alice, Bob, Carol!",
      "OK client-streaming: Hello, Alice, Bob, Carol!",
    ],
  },
  "bidi-streaming": {
    // The order proves the full duplex: each reply arrives before the next greeting leaves.
    lines: [
      "send: ping",
      "recv: Hello, ping!",
      "send: pong",
      "recv: Hello, pong!",
      "send: ping again",
      "recv: Hello, ping again!",
      "OK bidi-streaming: 3 replies, each before the next greeting",
    ],
  },
  deadline: {
    // 500 ms allow up to three of the replies sent 200 ms apart: how many depends on the machine.
    ignore: /^reply: Hello, slow! \(reply [1-3] of 10\)$/,
    lines: [
      /^direct call: DeadlineExceeded after [0-3] of 10 replies$/,
      /^via gateway: DeadlineExceeded; the gateway gave its call (500|[1-4]\d\d|[1-9]\d?) ms, which ended DeadlineExceeded$/,
      "OK deadline: DeadlineExceeded direct, DeadlineExceeded via gateway, downstream DeadlineExceeded",
    ],
  },
  cancellation: {
    lines: [
      "reply: Hello, world! (reply 1 of 100)",
      "reply: Hello, world! (reply 2 of 100)",
      "cancelling",
      "OK cancellation: Canceled after 2 replies",
    ],
  },
  metadata: {
    lines: [
      "sent: x-echo-tenant=acme, x-echo-trace-bin=00ff10 (on the wire: AP8Q)",
      "reply: Hello, metadata!",
      "header x-echo-tenant: acme",
      "header x-echo-trace-bin: 00ff10",
      "header x-request-id: example-42",
      "trailer x-reply-count: 1",
      "OK metadata: x-echo-tenant=acme x-echo-trace-bin=00ff10 x-request-id=example-42 x-reply-count=1",
    ],
  },
  errors: {
    lines: [
      "InvalidArgument: greeting: must be at least 1 characters [string.min_len]",
      new RegExp(`^  x-request-id: ${UUID}$`),
      "  field greeting: string.min_len (must be at least 1 characters)",
      "InvalidArgument: reply_count: must be less than or equal to 1000 [uint32.lte]",
      new RegExp(`^  x-request-id: ${UUID}$`),
      "  field reply_count: uint32.lte (must be less than or equal to 1000)",
      "OK errors: InvalidArgument greeting string.min_len; InvalidArgument reply_count uint32.lte",
    ],
  },
  compression: {
    lines: [
      "sendCompression gzip: request gzip, response gzip, 2 replies intact",
      "acceptCompression false: request identity, response identity, 2 replies intact",
      "OK compression: gzip/gzip, identity/identity",
    ],
  },
  health: {
    lines: [
      'check "": SERVING',
      'check "hello.v1.HelloService": SERVING',
      'check "no.such.Service": NotFound',
      'watch "": SERVING',
      "OK health: SERVING SERVING NotFound SERVING",
    ],
  },
  reflection: {
    lines: [
      "service: grpc.health.v1.Health",
      "service: grpc.reflection.v1.ServerReflection",
      "service: grpc.reflection.v1alpha.ServerReflection",
      "service: hello.v1.HelloService",
      "hello.v1.HelloService is defined in hello/v1/hello.proto: SayHello, LotsOfReplies, LotsOfGreetings, BidiHello",
      "OK reflection: grpc.health.v1.Health, grpc.reflection.v1.ServerReflection, grpc.reflection.v1alpha.ServerReflection, hello.v1.HelloService",
    ],
  },
  "channel-state": {
    lines: [
      "state: idle",
      "changed: idle -> connecting",
      "changed: connecting -> open",
      "reply: Hello, channel! (state open)",
      "changed: open -> idle",
      "OK channel-state: idle -> connecting -> open -> idle",
    ],
  },
};

/** A finished example run. */
interface RunResult {
  /** Exit code; null when the child was killed. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
}

const children = new Set<ChildProcess>();

afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
});

/** Runs `<name>/main.ts` as its README says, killing it after {@link CHILD_TIMEOUT_MS}. */
function runExample(name: string, env: Record<string, string> = {}): Promise<RunResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (env["HELLO_URL"] === undefined) delete childEnv["HELLO_URL"];
  const started = Date.now();
  const child = spawn(process.execPath, ["--conditions=@hello/source", "--import", "tsx", join(name, "main.ts")], {
    cwd: EXAMPLES_DIR,
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  const killer = setTimeout(() => child.kill("SIGKILL"), CHILD_TIMEOUT_MS);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(killer);
      children.delete(child);
      resolve({ code, signal, stdout, stderr, elapsedMs: Date.now() - started });
    });
  });
}

/** Checks a run: exit code 0 and exactly the expected lines. */
function expectOutput(name: string, result: RunResult): void {
  const expected = EXAMPLES[name];
  if (expected === undefined) throw new Error(`no expected output for ${name}`);
  const context = `${name} (exit ${result.code ?? result.signal} after ${result.elapsedMs} ms)\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
  if (result.signal === "SIGKILL") throw new Error(`killed after ${CHILD_TIMEOUT_MS} ms: ${context}`);
  const lines = result.stdout
    .split("\n")
    .filter((line) => line !== "")
    .filter((line) => expected.ignore === undefined || !expected.ignore.test(line));
  const matches = (line: string | undefined, want: string | RegExp) =>
    line !== undefined && (typeof want === "string" ? line === want : want.test(line));
  const mismatch = expected.lines.findIndex((want, i) => !matches(lines[i], want));
  if (result.code !== 0 || mismatch >= 0 || lines.length !== expected.lines.length) {
    const at = mismatch >= 0 ? mismatch : expected.lines.length;
    throw new Error(
      `unexpected output at line ${at + 1}: wanted ${String(expected.lines[at] ?? "(end of output)")}, got ${lines[at] ?? "(end of output)"}\n${context}`,
    );
  }
  expect(lines.at(-1)).toMatch(new RegExp(`^OK ${name}: `));
}

/** The example folders on disk. */
function exampleFolders(): string[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((entry) => !NOT_EXAMPLES.has(entry) && !entry.startsWith("."))
    .filter((entry) => statSync(join(EXAMPLES_DIR, entry)).isDirectory())
    .sort();
}

/** The sentences of a README's prose: headings dropped, code spans count as words. */
function sentencesOf(markdown: string): string[] {
  const prose = markdown
    .split("\n")
    .filter((line) => !line.startsWith("#"))
    .join(" ")
    .replace(/`[^`]*`/g, "CODE")
    .replace(/\s+/g, " ")
    .trim();
  return prose.split(/(?<=[.!?])\s+/).filter((sentence) => sentence !== "");
}

describe("the examples folder", () => {
  it("has exactly the examples listed in this test, each with main.ts and README.md", () => {
    const folders = exampleFolders();
    expect(folders).toEqual(Object.keys(EXAMPLES).sort());
    for (const folder of folders) {
      expect([folder, existsSync(join(EXAMPLES_DIR, folder, "main.ts"))]).toEqual([folder, true]);
      expect([folder, existsSync(join(EXAMPLES_DIR, folder, "README.md"))]).toEqual([folder, true]);
    }
  });

  it.each(exampleFolders())("%s/README.md is a title and one to three sentences saying how to run it", (folder) => {
    const readme = readFileSync(join(EXAMPLES_DIR, folder, "README.md"), "utf8");
    expect(readme.split("\n")[0]).toBe(`# ${folder}`);
    const sentences = sentencesOf(readme);
    expect(sentences.length).toBeGreaterThanOrEqual(1);
    expect(sentences.length).toBeLessThanOrEqual(3);
    expect(sentences.every((sentence) => /[.!?]$/.test(sentence))).toBe(true);
    expect(readme).toContain(`pnpm --filter @hello/examples example ${folder}/main.ts`);
  });
});

describe("every example, with a server of its own", () => {
  it.concurrent.each(Object.keys(EXAMPLES))("%s prints its checked lines and exits 0", async (name) => {
    expectOutput(name, await runExample(name));
  });
});

describe("every example, against HELLO_URL", () => {
  const callingHelloUrl = Object.keys(EXAMPLES).filter((name) => EXAMPLES[name]?.ownServer !== true);
  it("covers every example but those that serve a service of their own", () => {
    expect(Object.keys(EXAMPLES).filter((name) => !callingHelloUrl.includes(name))).toEqual(["adding-a-service"]);
  });

  it.concurrent.each(callingHelloUrl)("%s calls the server at HELLO_URL", async (name) => {
    // A server per example, so that the calls its metrics count are this example's alone.
    const server = createHelloServer({ port: 0, host: "127.0.0.1" });
    await server.listen();
    try {
      expectOutput(name, await runExample(name, { HELLO_URL: server.url }));
      expect(await callsStarted(server.url)).toBeGreaterThan(0);
    } finally {
      await server.close(1_000);
    }
  });
});

/** How many calls a hello server has started, from its `grpc_server_started_total` metric (invalid requests included). */
async function callsStarted(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split("\n")
    .filter((line) => line.startsWith("grpc_server_started_total{"))
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
}
