/**
 * The `hello` CLI end to end: the real command, as a child process, against a real server
 * on 127.0.0.1, port 0. How the CLI is spawned (tsx on its sources, no build): see
 * `test-support/cli-runner.ts`. Every child is killed after `CHILD_TIMEOUT_MS` at the
 * latest, and in `afterAll`.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { createHelloServer, type GreetingEnd, type HelloServer } from "@hello/server";
import {
  CHILD_TIMEOUT_MS,
  CLI_MAIN as MAIN,
  type CliProcess,
  type CliResult,
  createCliRunner,
  PACKAGE_DIR,
} from "../test-support/cli-runner.js";

let server: HelloServer;
const { startCli, runCli, track, killAll } = createCliRunner(() => server.url);

/** One call as the server's handler saw it. */
interface ServerCall {
  readonly method: string;
  /** Request messages the handler has read. */
  received: number;
  /** How the handler ended: its status code (0 for OK), and why its signal aborted. */
  end?: { code: Code | 0; signalReason: ConnectError | undefined };
}

/** Every call the server received, in order, and the greeter's stream ends. */
const serverCalls: ServerCall[] = [];
const greeterEnds: { method: string; end: GreetingEnd }[] = [];

/** Records each call's request messages and how its handler ended (see {@link ServerCall}). */
const observeCalls: Interceptor = (next) => async (req) => {
  const call: ServerCall = { method: req.method.name, received: 0 };
  serverCalls.push(call);
  const finish = (error?: unknown) => {
    call.end = {
      code: error === undefined ? 0 : ConnectError.from(error).code,
      signalReason: req.signal.aborted ? ConnectError.from(req.signal.reason) : undefined,
    };
  };
  if (req.stream) {
    const requests = req.message;
    req = {
      ...req,
      message: (async function* () {
        for await (const message of requests) {
          call.received++;
          yield message;
        }
      })(),
    };
  }
  try {
    const res = await next(req);
    if (!res.stream) {
      finish();
      return res;
    }
    const responses = res.message;
    return {
      ...res,
      message: (async function* () {
        let outcome: { error?: unknown } | undefined;
        try {
          yield* responses;
          outcome = {};
        } catch (e) {
          outcome = { error: e };
          throw e;
        } finally {
          // Neither completed nor failed: the server stopped reading responses (the client left).
          finish(outcome === undefined ? (req.signal.reason ?? new ConnectError("abandoned", Code.Aborted)) : outcome.error);
        }
      })(),
    };
  } catch (e) {
    finish(e);
    throw e;
  }
};

beforeAll(async () => {
  server = createHelloServer({
    port: 0,
    host: "127.0.0.1",
    interceptors: [observeCalls],
    greeter: { observer: { ended: (method, end) => greeterEnds.push({ method, end }) } },
  });
  await server.listen();
});

afterAll(async () => {
  killAll();
  await server.close(1_000);
});

/** The JSON lines of a `--json` run, and its final status. */
function jsonOutput(result: CliResult) {
  const objects = result.lines.map((l) => JSON.parse(l.text) as Record<string, unknown>);
  const status = objects.at(-1)?.["status"] as {
    code: number;
    codeName: string;
    message: string;
    details: { type: string; value: unknown }[];
    headers: Record<string, string>;
    trailers: Record<string, string>;
  };
  return { messages: objects.slice(0, -1).map((o) => o["message"]), status };
}

describe("hello say", () => {
  it("prints the reply and exits 0", async () => {
    const result = await runCli(["say", "world"]);
    expect(result).toMatchObject({ code: 0, stdout: "Hello, world!\n", stderr: "" });
  });

  it("prints one JSON line per message, then the status with headers and trailers, with --json", async () => {
    const result = await runCli(["say", "world", "--json", "--request-id", "cli-test-1"]);
    expect(result.code).toBe(0);
    const { messages, status } = jsonOutput(result);
    expect(messages).toEqual([{ reply: "Hello, world!" }]);
    expect(status).toMatchObject({ code: 0, codeName: "OK", message: "", details: [] });
    expect(status.headers["x-request-id"]).toBe("cli-test-1");
    expect(status.trailers["x-reply-count"]).toBe("1");
  });

  it("reads the server URL from HELLO_URL", async () => {
    const result = await runCli(["say", "env"], { env: { HELLO_URL: server.url } });
    expect(result).toMatchObject({ code: 0, stdout: "Hello, env!\n" });
  });

  it.each(["grpc", "grpc-web", "connect"])("speaks --protocol %s", async (protocol) => {
    const result = await runCli(["--protocol", protocol, "say", protocol]);
    expect(result).toMatchObject({ code: 0, stdout: `Hello, ${protocol}!\n`, stderr: "" });
  });

  it.each(["grpc-web", "connect"])("speaks --protocol %s over --http1, with --compress", async (protocol) => {
    // 600 characters (the limit is 1,000) but 1,200 bytes: above the 1 KiB compression threshold.
    const greeting = "é".repeat(600);
    const result = await runCli(["--protocol", protocol, "--http1", "--compress", "br", "say", greeting]);
    expect(result).toMatchObject({ code: 0, stdout: `Hello, ${greeting}!\n`, stderr: "" });
  });
});

describe("metadata (-H)", () => {
  it("sends ASCII and -bin metadata; the server's x-echo- echo returns the same bytes", async () => {
    const bytes = Buffer.from([0, 1, 2, 0x7f, 0x80, 0xfe, 0xff]);
    const result = await runCli([
      "say",
      "meta",
      "--json",
      "-H",
      "x-echo-tenant: acme",
      "-H",
      `X-Echo-Blob-Bin:${bytes.toString("base64")}`,
    ]);
    expect(result.code).toBe(0);
    const { status } = jsonOutput(result);
    expect(status.headers["x-echo-tenant"]).toBe("acme");
    // -bin values travel base64-encoded (unpadded on the way back, as gRPC allows).
    expect(Buffer.from(status.headers["x-echo-blob-bin"] ?? "", "base64")).toEqual(bytes);
  });

  it("prints response headers and trailers with --verbose", async () => {
    const result = await runCli(["-v", "say", "meta", "-H", "x-echo-tenant:acme"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^header x-echo-tenant: acme$/m);
    expect(result.stderr).toMatch(/^trailer x-reply-count: 1$/m);
  });

  it.each([
    ["grpc-timeout:1S", /reserved.*grpc-/],
    ["x-blob-bin:not base64!", /base64/],
    ["no-colon", /key:value/],
  ])("refuses -H %s as a usage error (64)", async (header, message) => {
    const result = await runCli(["say", "x", "-H", header]);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(message);
  });
});

describe("hello replies", () => {
  it("prints each reply as it arrives, --interval apart", async () => {
    const result = await runCli(["replies", "tick", "--count", "3", "--interval", "400ms"]);
    expect(result.code).toBe(0);
    expect(result.lines.map((l) => l.text)).toEqual([
      "Hello, tick! (reply 1 of 3)",
      "Hello, tick! (reply 2 of 3)",
      "Hello, tick! (reply 3 of 3)",
    ]);
    const [first, second, third] = result.lines.map((l) => l.at) as [number, number, number];
    // Received one by one, not all at the end (timer slack allowed).
    expect(second - first).toBeGreaterThanOrEqual(300);
    expect(third - second).toBeGreaterThanOrEqual(300);
  });

  it("ends with the trailers in the --json status", async () => {
    const result = await runCli(["--json", "replies", "x", "--count", "2"]);
    const { messages, status } = jsonOutput(result);
    expect(messages).toHaveLength(2);
    expect(status).toMatchObject({ code: 0, trailers: { "x-reply-count": "2" } });
  });

  it("exits 4 (DEADLINE_EXCEEDED) when --timeout passes mid-stream", async () => {
    const result = await runCli(["replies", "slow", "--count", "5", "--interval", "1s", "--timeout", "500ms"]);
    expect(result.code).toBe(4);
    expect(result.stdout).toBe("Hello, slow! (reply 1 of 5)\n");
    expect(result.stderr).toMatch(/^error: DEADLINE_EXCEEDED: /m);
  });

  it("refuses a bad --interval as a usage error (64)", async () => {
    const result = await runCli(["replies", "x", "--interval", "fast"]);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain("is not a duration");
  });
});

describe("validation errors", () => {
  it("exit 3 (INVALID_ARGUMENT) and name the field and rule", async () => {
    const result = await runCli(["say", ""]);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^error: INVALID_ARGUMENT: /);
    expect(result.stderr).toMatch(/^ {2}greeting: .*\(rule string\.min_len\)$/m);
  });

  it("carry buf.validate.Violations in the --json status", async () => {
    const result = await runCli(["--json", "replies", "x", "--count", "5000"]);
    expect(result.code).toBe(3);
    const { status } = jsonOutput(result);
    expect(status).toMatchObject({ code: 3, codeName: "INVALID_ARGUMENT" });
    expect(status.details).toEqual([
      {
        type: "buf.validate.Violations",
        value: {
          violations: [expect.objectContaining({ ruleId: "uint32.lte", field: expect.anything() })],
        },
      },
    ]);
    expect(JSON.stringify(status.details)).toContain('"fieldName":"reply_count"');
  });
});

describe("hello greetings", () => {
  it("sends one greeting per stdin line and prints the reply after EOF", async () => {
    const result = await runCli(["greetings"], { stdin: "Ann\nBob\n\nCid\n" });
    expect(result).toMatchObject({ code: 0, stdout: "Hello, Ann, Bob, Cid!\n", stderr: "" });
  });

  it("sends its arguments instead of stdin", async () => {
    const result = await runCli(["--protocol", "connect", "--http1", "greetings", "Ann", "Bob"]);
    expect(result).toMatchObject({ code: 0, stdout: "Hello, Ann, Bob!\n" });
  });
});

describe("hello bidi", () => {
  it.each(["grpc", "grpc-web", "connect"])(
    "ping-pongs over %s: each line's reply arrives before the next line is sent",
    async (protocol) => {
      const cli = startCli(["--protocol", protocol, "bidi"]);
      const stdin = cli.child.stdin;
      if (stdin === null) throw new Error("no stdin");
      for (const name of ["one", "two", "three"]) {
        stdin.write(`${name}\n`);
        await cli.waitForLine((text) => text === `Hello, ${name}!`);
      }
      stdin.end();
      const result = await cli.done;
      expect(result).toMatchObject({ code: 0, stdout: "Hello, one!\nHello, two!\nHello, three!\n", stderr: "" });
    },
  );

  it("fails clearly with --http1: UNIMPLEMENTED (12), bidi needs HTTP/2", async () => {
    const result = await runCli(["--protocol", "connect", "--http1", "bidi"], { stdin: "x\n" });
    expect(result.code).toBe(12);
    expect(result.stderr).toMatch(/^error: UNIMPLEMENTED: BidiHello .*needs HTTP\/2.*--http1/m);
  });

  it("refuses --http1 with --protocol grpc as a usage error (64)", async () => {
    const result = await runCli(["--http1", "say", "x"]);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain("gRPC always uses HTTP/2");
  });
});

describe("hello health", () => {
  it("prints SERVING for the server and exits 0", async () => {
    const result = await runCli(["health"]);
    expect(result).toMatchObject({ code: 0, stdout: "SERVING\n" });
  });

  it("checks one service, with --json", async () => {
    const result = await runCli(["--json", "--protocol", "connect", "health", "hello.v1.HelloService"]);
    expect(result.code).toBe(0);
    expect(jsonOutput(result).messages).toEqual([{ status: "SERVING" }]);
  });

  it("exits 5 (NOT_FOUND) for a service the server does not know", async () => {
    const result = await runCli(["health", "no.such.Service"]);
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/^error: NOT_FOUND: /);
  });
});

describe("hello list", () => {
  it.each(["grpc", "grpc-web", "connect"])("lists the services through reflection over %s", async (protocol) => {
    const result = await runCli(["--protocol", protocol, "list"]);
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")).toEqual(
      expect.arrayContaining(["hello.v1.HelloService", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"]),
    );
  });
});

describe("Ctrl-C (SIGINT)", () => {
  /**
   * Starts `hello <args>`, waits until the server's handler of `method` has read `received`
   * request messages (writing `lines` to stdin first), interrupts the CLI, and returns the
   * CLI's result and how the handler ended.
   */
  async function interrupt(
    args: readonly string[],
    method: string,
    options: { lines?: string; received?: number; waitForLine?: string } = {},
  ) {
    const from = serverCalls.length;
    const cli = startCli(args);
    if (options.lines !== undefined) cli.child.stdin?.write(options.lines);
    const received = options.received ?? 1;
    await waitFor(`${method} to read ${received} request(s)`, () => (serverCallOf(method, from)?.received ?? 0) >= received);
    if (options.waitForLine !== undefined) {
      const expected = options.waitForLine;
      await cli.waitForLine((text) => text === expected);
    }
    cli.child.kill("SIGINT");
    const result = await cli.done;
    const call = serverCallOf(method, from);
    await waitFor(`the server's end of ${method}`, () => call?.end !== undefined, 5_000);
    return { result, end: call?.end };
  }

  it.each(["grpc", "connect", "grpc-web"])(
    "cancels `greetings` over %s: the server's handler sees CANCELED, never a complete request stream",
    async (protocol) => {
      const { result, end } = await interrupt(["--protocol", protocol, "greetings"], "LotsOfGreetings", { lines: "Ann\n" });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error: CANCELED: /m);
      expect(result.stdout).toBe("");
      expect(end?.code).not.toBe(0);
      expect(end?.signalReason?.code).toBe(Code.Canceled);
    },
  );

  it("cancels `greetings` over --http1 by dropping the request: the handler is aborted, not completed", async () => {
    const { result, end } = await interrupt(["--protocol", "connect", "--http1", "greetings"], "LotsOfGreetings", {
      lines: "Ann\n",
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(end?.code).not.toBe(0);
    // HTTP/1.1 has no frame for cancellation: the server only sees the request cut off.
    expect(end?.signalReason).toBeDefined();
  });

  it.each(["grpc", "connect"])("cancels `bidi` over %s: the greeter's stream ends aborted", async (protocol) => {
    const ends = greeterEnds.length;
    const { result, end } = await interrupt(["--protocol", protocol, "bidi"], "BidiHello", {
      lines: "Ann\n",
      waitForLine: "Hello, Ann!",
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("Hello, Ann!\n");
    expect(end?.code).not.toBe(0);
    expect(end?.signalReason?.code).toBe(Code.Canceled);
    await waitFor("the greeter's end of BidiHello", () => greeterEnds.length > ends);
    expect(greeterEnds.slice(ends)).toEqual([{ method: "BidiHello", end: "aborted" }]);
  });

  it.each([
    ["grpc", "LotsOfGreetings"],
    ["connect", "LotsOfGreetings"],
    ["grpc", "BidiHello"],
    ["grpc-web", "BidiHello"],
  ])("cancels `call` over %s of %s from stdin: the server's handler sees CANCELED", async (protocol, method) => {
    const { result, end } = await interrupt(["--protocol", protocol, "call", `hello.v1.HelloService/${method}`], method, {
      lines: '{"greeting": "Ann"}\n',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: CANCELED: /m);
    expect(end?.code).not.toBe(0);
    expect(end?.signalReason?.code).toBe(Code.Canceled);
  });

  it("cancels `replies` mid-stream: the greeter stops before its next reply", async () => {
    const ends = greeterEnds.length;
    const { result } = await interrupt(["replies", "slow", "--count", "20", "--interval", "300ms"], "LotsOfReplies", {
      received: 0,
      waitForLine: "Hello, slow! (reply 1 of 20)",
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: CANCELED: /m);
    await waitFor("the greeter's end of LotsOfReplies", () => greeterEnds.length > ends);
    expect(greeterEnds.slice(ends)).toEqual([{ method: "LotsOfReplies", end: "aborted" }]);
  });
});

describe("hello call", () => {
  const SERVICE = "hello.v1.HelloService";

  describe.each(["grpc", "grpc-web", "connect"])("over %s", (protocol) => {
    it("calls a unary method with -d and prints the response as a JSON line", async () => {
      const result = await runCli(["--protocol", protocol, "call", `${SERVICE}/SayHello`, "-d", '{"greeting": "call"}']);
      expect(result).toMatchObject({ code: 0, stdout: '{"reply":"Hello, call!"}\n', stderr: "" });
    });

    it("prints each response of a server stream as it arrives", async () => {
      const result = await runCli([
        "--protocol",
        protocol,
        "call",
        `${SERVICE}/LotsOfReplies`,
        "-d",
        '{"greeting": "s", "reply_count": 2}',
      ]);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('{"reply":"Hello, s! (reply 1 of 2)"}\n{"reply":"Hello, s! (reply 2 of 2)"}\n');
    });

    it("sends a client stream from stdin, one JSON object per line", async () => {
      const result = await runCli(["--protocol", protocol, "call", `${SERVICE}/LotsOfGreetings`], {
        stdin: '{"greeting": "Ann"}\n\n{"greeting": "Bob"}\n',
      });
      expect(result).toMatchObject({ code: 0, stdout: '{"reply":"Hello, Ann, Bob!"}\n', stderr: "" });
    });

    it("ping-pongs a bidi stream: each line's response arrives before the next line is sent", async () => {
      const cli = startCli(["--protocol", protocol, "call", `${SERVICE}/BidiHello`]);
      for (const name of ["one", "two"]) {
        cli.child.stdin?.write(`{"greeting": "${name}"}\n`);
        await cli.waitForLine((text) => text === `{"reply":"Hello, ${name}!"}`);
      }
      cli.child.stdin?.end();
      const result = await cli.done;
      expect(result).toMatchObject({ code: 0, stdout: '{"reply":"Hello, one!"}\n{"reply":"Hello, two!"}\n', stderr: "" });
    });
  });

  it.each(["grpc-web", "connect"])("calls over %s --http1 (the schema comes over HTTP/2)", async (protocol) => {
    const result = await runCli([
      "--protocol",
      protocol,
      "--http1",
      "call",
      `${SERVICE}/LotsOfReplies`,
      "-d",
      '{"greeting": "h1", "replyCount": 1}',
    ]);
    expect(result).toMatchObject({ code: 0, stdout: '{"reply":"Hello, h1! (reply 1 of 1)"}\n', stderr: "" });
  });

  it("calls a service other than HelloService: grpc.health.v1.Health/Check, request from stdin", async () => {
    const result = await runCli(["call", "grpc.health.v1.Health/Check"], { stdin: '{"service": "hello.v1.HelloService"}\n' });
    expect(result).toMatchObject({ code: 0, stdout: '{"status":"SERVING"}\n' });
  });

  it("sends the empty message when stdin is empty", async () => {
    const result = await runCli(["call", "grpc.health.v1.Health/Check"]);
    expect(result).toMatchObject({ code: 0, stdout: '{"status":"SERVING"}\n' });
  });

  it("reads -d @file, and sends a client stream from a file one line at a time", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hello-call-"));
    try {
      writeFileSync(join(dir, "one.json"), '{\n  "greeting": "file"\n}\n');
      writeFileSync(join(dir, "many.json"), '{"greeting": "x"}\n{"greeting": "y"}\n');
      const one = await runCli(["call", `${SERVICE}/SayHello`, "-d", `@${join(dir, "one.json")}`]);
      expect(one).toMatchObject({ code: 0, stdout: '{"reply":"Hello, file!"}\n' });
      const many = await runCli(["call", `${SERVICE}/LotsOfGreetings`, "-d", `@${join(dir, "many.json")}`]);
      expect(many).toMatchObject({ code: 0, stdout: '{"reply":"Hello, x, y!"}\n' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("prints {message} lines and the status with --json, with the call's own headers and trailers", async () => {
    const result = await runCli([
      "--json",
      "--request-id",
      "call-json-1",
      "call",
      `${SERVICE}/LotsOfReplies`,
      "-d",
      '{"greeting": "j", "reply_count": 2}',
    ]);
    expect(result.code).toBe(0);
    const { messages, status } = jsonOutput(result);
    expect(messages).toEqual([{ reply: "Hello, j! (reply 1 of 2)" }, { reply: "Hello, j! (reply 2 of 2)" }]);
    expect(status).toMatchObject({ code: 0, codeName: "OK", trailers: { "x-reply-count": "2" } });
    expect(status.headers["x-request-id"]).toBe("call-json-1");
  });

  it("sends -H metadata and exits with the call's status code (validation: 3)", async () => {
    const echoed = await runCli(["-v", "call", `${SERVICE}/SayHello`, "-d", '{"greeting": "m"}', "-H", "x-echo-tenant:acme"]);
    expect(echoed.code).toBe(0);
    expect(echoed.stderr).toMatch(/^header x-echo-tenant: acme$/m);
    const invalid = await runCli(["call", `${SERVICE}/SayHello`, "-d", '{"greeting": ""}']);
    expect(invalid.code).toBe(3);
    expect(invalid.stderr).toMatch(/^ {2}greeting: .*\(rule string\.min_len\)$/m);
  });

  it("exits 4 (DEADLINE_EXCEEDED) when --timeout passes mid-stream", async () => {
    const result = await runCli([
      "--timeout",
      "500ms",
      "call",
      `${SERVICE}/LotsOfReplies`,
      "-d",
      '{"greeting": "slow", "reply_count": 5, "reply_interval": "1s"}',
    ]);
    expect(result.code).toBe(4);
    expect(result.stdout).toBe('{"reply":"Hello, slow! (reply 1 of 5)"}\n');
  });

  it("exits 5 (NOT_FOUND) for an unknown method, naming the service's methods", async () => {
    const result = await runCli(["call", `${SERVICE}/SayGoodbye`, "-d", "{}"]);
    expect(result.code).toBe(5);
    expect(result.stderr).toBe(
      'error: NOT_FOUND: hello.v1.HelloService has no method "SayGoodbye"; its methods: SayHello, LotsOfReplies, LotsOfGreetings, BidiHello\n',
    );
  });

  it("exits 5 (NOT_FOUND) for an unknown service, naming the server's services", async () => {
    const result = await runCli(["call", "todo.v1.TodoService/ListTodos", "-d", "{}"]);
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(
      /^error: NOT_FOUND: unknown service "todo\.v1\.TodoService"; the server offers: .*hello\.v1\.HelloService/,
    );
  });

  it("exits 3 (INVALID_ARGUMENT) for a request that is not JSON, with the parser's reason", async () => {
    const result = await runCli(["call", `${SERVICE}/SayHello`, "-d", '{"greeting": "x"']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^error: INVALID_ARGUMENT: the request is not JSON: /);
  });

  it("exits 3 (INVALID_ARGUMENT) for JSON that is not the request message, naming field and type", async () => {
    const result = await runCli(["call", `${SERVICE}/SayHello`, "-d", '{"greetings": "x"}']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('cannot decode message hello.v1.HelloRequest from JSON: key "greetings" is unknown');
  });

  it("fails a stream at the first bad stdin line with 3, naming the line", async () => {
    const result = await runCli(["call", `${SERVICE}/LotsOfGreetings`], { stdin: '{"greeting": "ok"}\n{nope}\n' });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^error: INVALID_ARGUMENT: request 2 is not JSON: /);
  });

  it("refuses a bidi method over --http1: UNIMPLEMENTED (12)", async () => {
    const result = await runCli(["--protocol", "connect", "--http1", "call", `${SERVICE}/BidiHello`], { stdin: '{"greeting": "x"}\n' });
    expect(result.code).toBe(12);
    expect(result.stderr).toMatch(/^error: UNIMPLEMENTED: BidiHello .*needs HTTP\/2.*--http1/m);
  });

  it.each(["SayHello", "hello.v1.HelloService/", "hello.v1.Hello Service/SayHello"])(
    "refuses the method %j as a usage error (64)",
    async (target) => {
      const result = await runCli(["call", target, "-d", "{}"]);
      expect(result.code).toBe(64);
      expect(result.stderr).toContain("e.g. hello.v1.HelloService/SayHello");
    },
  );

  it("refuses -d @file for a file that does not exist as a usage error (64)", async () => {
    const result = await runCli(["call", `${SERVICE}/SayHello`, "-d", "@/nonexistent/request.json"]);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain("cannot read /nonexistent/request.json");
  });
});

describe("hello describe", () => {
  it("shows a service's methods and the messages they use", async () => {
    const result = await runCli(["describe", "hello.v1.HelloService"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        "service hello.v1.HelloService {",
        "  rpc SayHello(hello.v1.HelloRequest) returns (hello.v1.HelloResponse) { option idempotency_level = NO_SIDE_EFFECTS; }",
        "  rpc LotsOfReplies(hello.v1.HelloRequest) returns (stream hello.v1.HelloResponse) { option idempotency_level = NO_SIDE_EFFECTS; }",
        "  rpc LotsOfGreetings(stream hello.v1.HelloRequest) returns (hello.v1.HelloResponse);",
        "  rpc BidiHello(stream hello.v1.HelloRequest) returns (stream hello.v1.HelloResponse);",
        "}",
        "",
        "message hello.v1.HelloRequest {",
        "  string greeting = 1;",
        "  uint32 reply_count = 2; // JSON: replyCount",
        "  google.protobuf.Duration reply_interval = 3; // JSON: replyInterval",
        "}",
        "",
        "message hello.v1.HelloResponse {",
        "  string reply = 1;",
        "}",
        "",
      ].join("\n"),
    );
  });

  it.each([
    ["grpc.health.v1.Health/Check", /^\/\/ grpc\.health\.v1\.Health\/Check\nrpc Check\(grpc\.health\.v1\.HealthCheckRequest\)/],
    [
      "grpc.health.v1.HealthCheckResponse",
      /^message grpc\.health\.v1\.HealthCheckResponse \{\n[\s\S]*\n\nenum grpc\.health\.v1\.HealthCheckResponse\.ServingStatus \{\n {2}UNKNOWN = 0;/,
    ],
  ])("shows %s", async (name, expected) => {
    const result = await runCli(["--protocol", "connect", "describe", name]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(expected);
  });

  it("prints descriptors with fully-qualified names with --json", async () => {
    const result = await runCli(["--json", "describe", "hello.v1.HelloService/SayHello"]);
    expect(result.code).toBe(0);
    const { messages } = jsonOutput(result);
    expect(messages).toEqual([
      {
        name: "hello.v1.HelloService.SayHello",
        inputType: ".hello.v1.HelloRequest",
        outputType: ".hello.v1.HelloResponse",
        options: { idempotencyLevel: "NO_SIDE_EFFECTS" },
      },
      expect.objectContaining({ name: "hello.v1.HelloRequest" }),
      expect.objectContaining({ name: "hello.v1.HelloResponse" }),
    ]);
  });

  it("exits 5 (NOT_FOUND) for a name the server does not know, naming its services", async () => {
    const result = await runCli(["describe", "hello.v1.Nothing"]);
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(
      /^error: NOT_FOUND: "hello\.v1\.Nothing" is not a service, method, message or enum the server knows; the server offers: .*hello\.v1\.HelloService/,
    );
  });

  it("needs HTTP/2: UNIMPLEMENTED (12) with --http1", async () => {
    const result = await runCli(["--protocol", "connect", "--http1", "describe", "hello.v1.HelloService"]);
    expect(result.code).toBe(12);
  });
});

describe("errors without a server", () => {
  it("exit 14 (UNAVAILABLE) when nothing listens", async () => {
    const port = await closedPort();
    const result = await runCli(["--url", `http://127.0.0.1:${port}`, "say", "x"]);
    expect(result.code).toBe(14);
    expect(result.stderr).toMatch(/^error: UNAVAILABLE: /);
  });
});

describe("--help", () => {
  it("documents the commands and the exit status", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    for (const command of ["say", "replies", "greetings", "bidi", "health", "list", "describe", "call"]) {
      expect(result.stdout).toMatch(new RegExp(`^ {2}${command}\\b`, "m"));
    }
    expect(result.stdout).toContain("Exit status:");
    expect(result.stdout).toMatch(/^ +4 {2}DEADLINE_EXCEEDED/m);
    expect(result.stdout).toMatch(/^ +64 {2}usage error/m);
  });

  it.each(["say", "replies", "greetings", "bidi", "health", "list", "describe", "call"])(
    "documents hello %s, with the global options",
    async (command) => {
      const result = await runCli([command, "--help"]);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: hello ${command}\\b`));
      expect(result.stdout).toContain("Global Options:");
      expect(result.stdout).toContain("--protocol <protocol>");
    },
  );

  it("exits 64 for an unknown command", async () => {
    const result = await runCli(["shout"]);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain("unknown command 'shout'");
  });
});

describe("deadlines", () => {
  let recording: HelloServer;
  /** The deadline header of each call the server received, by method. */
  const deadlines: { method: string; timeout: string | null }[] = [];
  const recordDeadline: Interceptor = (next) => (req) => {
    deadlines.push({ method: req.method.name, timeout: req.header.get("grpc-timeout") ?? req.header.get("connect-timeout-ms") });
    return next(req);
  };
  beforeAll(async () => {
    recording = createHelloServer({ port: 0, host: "127.0.0.1", metrics: false, interceptors: [recordDeadline] });
    await recording.listen();
  });
  afterAll(() => recording.close(0));
  const deadlineOf = async (args: string[]) => {
    const from = deadlines.length;
    const result = await runCli(["--url", recording.url, ...args]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    return deadlines.slice(from).find((d) => d.method !== "ServerReflectionInfo")?.timeout;
  };

  it("gives a unary call the default deadline (10 s)", async () => {
    expect(await deadlineOf(["say", "x"])).toMatch(/^(\d+[mu]|10000)$/);
  });

  it.each([
    ["replies", ["replies", "x", "--count", "1"]],
    ["greetings from arguments", ["greetings", "Ann"]],
    ["call of a server stream", ["call", "hello.v1.HelloService/LotsOfReplies", "-d", '{"greeting":"x","replyCount":1}']],
    ["call of a client stream with -d", ["call", "hello.v1.HelloService/LotsOfGreetings", "-d", '{"greeting":"x"}']],
  ])("gives %s no deadline unless --timeout says so", async (_what, args) => {
    expect(await deadlineOf(args)).toBeNull();
    expect(await deadlineOf(["--timeout", "2s", ...args])).toMatch(/^(\d+[mu]|\d{3,4})$/);
  });

  it("documents the defaults in --help", async () => {
    const result = await runCli(["--help"]);
    expect(result.stdout).toMatch(/10s for unary calls,\s+none for\s+streams/);
  });
});

describe("--version", () => {
  it("prints the version of @hello/client and exits 0", async () => {
    const { version } = JSON.parse(readFileSync(join(PACKAGE_DIR, "package.json"), "utf8")) as { version: string };
    for (const flag of ["--version", "-V"]) {
      const result = await runCli([flag]);
      expect(result).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: "" });
    }
  });
});

describe("stdin on a terminal", () => {
  /** `hello <args>` with a pseudo-terminal as stdin, stdout and stderr (util-linux `script`). */
  function startOnTerminal(args: readonly string[]): CliProcess {
    const quote = (arg: string) => `'${arg.replace(/'/g, "'\\''")}'`;
    const command = [process.execPath, "--conditions=@hello/source", "--import", "tsx", MAIN, "--url", server.url, ...args]
      .map(quote)
      .join(" ");
    const child = spawn("script", ["-qfec", command, "/dev/null"], { cwd: PACKAGE_DIR, stdio: ["pipe", "pipe", "pipe"] });
    const untrack = track(child);
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    const done = new Promise<CliResult>((resolve) =>
      child.on("close", (code) => {
        untrack();
        resolve({ code, stdout: output, stderr: "", lines: [] });
      }),
    );
    return {
      child,
      done,
      waitForLine: async (predicate) => {
        await waitFor("terminal output", () => output.split(/\r?\n/).some(predicate));
        return { text: "", at: Date.now() };
      },
    };
  }

  it("tells a person what greetings waits for, then reads the lines they type", async () => {
    const cli = startOnTerminal(["greetings"]);
    await cli.waitForLine((line) => line.includes("hello: reading requests from stdin, one per line: Ctrl-D ends them"));
    cli.child.stdin?.write("Ann\n");
    cli.child.stdin?.write("\x04");
    const result = await cli.done;
    expect(result.stdout).toContain("Hello, Ann!");
    expect(result.code).toBe(0);
  });

  it("tells nothing when stdin is not a terminal", async () => {
    const result = await runCli(["greetings"], { stdin: "Ann\n" });
    expect(result).toMatchObject({ code: 0, stdout: "Hello, Ann!\n", stderr: "" });
  });
});

describe("connection errors", () => {
  it("says in one line that nothing listens at the URL (UNAVAILABLE, 14)", async () => {
    const port = await closedPort();
    const result = await runCli(["--url", `http://127.0.0.1:${port}`, "say", "x"]);
    expect(result.code).toBe(14);
    expect(result.stderr).toBe(
      `error: UNAVAILABLE: cannot connect to http://127.0.0.1:${port}: connection refused — is the server running there? (the address comes from --url or HELLO_URL)\n`,
    );
  });

  it.each([["grpc"], ["connect", "--http1"]])(
    "says in one line that an https:// URL names a cleartext port (--protocol %s)",
    async (...flags) => {
      const httpsUrl = server.url.replace("http:", "https:");
      const result = await runCli(["--url", httpsUrl, "--protocol", ...flags, "say", "x"]);
      expect(result.code).toBe(14);
      expect(result.stderr).toBe(`error: UNAVAILABLE: ${httpsUrl} answered in cleartext, not TLS: use ${server.url}\n`);
    },
  );

  describe("against a TLS port", () => {
    let tlsServer: HelloServer;
    let dir: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "hello-cli-tls-"));
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-days",
          "1",
          "-subj",
          "/CN=127.0.0.1",
          "-keyout",
          join(dir, "key.pem"),
          "-out",
          join(dir, "cert.pem"),
        ],
        { stdio: "ignore" },
      );
      tlsServer = createHelloServer({
        port: 0,
        host: "127.0.0.1",
        metrics: false,
        tls: { certFile: join(dir, "cert.pem"), keyFile: join(dir, "key.pem") },
      });
      await tlsServer.listen();
    });
    afterAll(async () => {
      await tlsServer.close(0);
      rmSync(dir, { recursive: true, force: true });
    });

    it.each([["grpc"], ["connect", "--http1"], ["connect"]])(
      "says in one line that an http:// URL names a TLS port (--protocol %s)",
      async (...flags) => {
        const httpUrl = tlsServer.url.replace("https:", "http:");
        const result = await runCli(["--url", httpUrl, "--protocol", ...flags, "say", "x"]);
        expect(result.code).toBe(14);
        expect(result.stderr).toBe(`error: UNAVAILABLE: ${httpUrl} speaks TLS, not cleartext: use ${tlsServer.url}\n`);
      },
    );
  });
});

describe("hello completion", () => {
  const COMMANDS = ["say", "replies", "greetings", "bidi", "health", "list", "describe", "call", "completion"];

  it("prints a bash script that completes commands, their options and option values", async () => {
    const result = await runCli(["completion", "bash"]);
    expect(result.code).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), "hello-completion-"));
    try {
      writeFileSync(join(dir, "hello.bash"), result.stdout);
      const complete = (line: string) =>
        execFileSync(
          "bash",
          [
            "-c",
            `source "$1"; read -ra COMP_WORDS <<< "$2"; [[ "$2" == *" " ]] && COMP_WORDS+=(""); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _hello; echo "\${COMPREPLY[*]}"`,
            "_",
            join(dir, "hello.bash"),
            line,
          ],
          { encoding: "utf8" },
        ).trim();
      expect(complete("hello ").split(" ")).toEqual(COMMANDS);
      expect(complete("hello re")).toBe("replies");
      expect(complete("hello --protocol ")).toBe("grpc grpc-web connect");
      expect(complete("hello replies --i")).toBe("--interval");
      expect(complete("hello --json call --d")).toBe("--data");
      expect(complete("hello completion ")).toBe("bash zsh");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("prints a zsh script with every command and option", async () => {
    const result = await runCli(["completion", "zsh"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^#compdef hello\n/);
    for (const command of COMMANDS) expect(result.stdout).toMatch(new RegExp(`^ +'${command}:`, "m"));
    for (const option of ["--url", "--protocol", "--timeout", "--count", "--data"])
      expect(result.stdout).toMatch(new RegExp(`'(\\([^)]*\\))?${option}\\[`));
    expect(result.stdout).toContain("(grpc grpc-web connect)");
    expect(result.stdout).toContain("compdef _hello hello");
  });

  it("refuses a shell it has no script for as a usage error (64)", async () => {
    const result = await runCli(["completion", "fish"]);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain("Allowed choices are bash, zsh");
  });
});

/** Waits until `predicate` holds (checked every 10 ms), at most `timeoutMs`. */
async function waitFor(what: string, predicate: () => boolean, timeoutMs = CHILD_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The server's newest call of `method` since `from` (an index into {@link serverCalls}). */
function serverCallOf(method: string, from: number): ServerCall | undefined {
  return serverCalls.slice(from).find((c) => c.method === method);
}

/** A port on 127.0.0.1 that nothing listens on (just released). */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
