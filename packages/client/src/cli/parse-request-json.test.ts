import { createRegistry } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { HelloRequestSchema, HelloService } from "@hello/sdk";
import { parseRequestJson, parseRequestLines, parseRequestList, parseSingleRequest } from "./parse-request-json.js";

const registry = createRegistry(HelloService.file);

function errorOf(run: () => unknown): ConnectError {
  try {
    run();
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected a failure");
}

describe("parseRequestJson()", () => {
  it("accepts proto and JSON field names alike", () => {
    const request = parseRequestJson(
      HelloRequestSchema,
      '{"greeting": "hi", "reply_count": 2, "replyInterval": "1s"}',
      registry,
      "the request",
    );
    expect(request).toMatchObject({ greeting: "hi", replyCount: 2, replyInterval: { seconds: 1n } });
  });

  it("fails with INVALID_ARGUMENT and the parser's reason for text that is not JSON", () => {
    const error = errorOf(() => parseRequestJson(HelloRequestSchema, '{"greeting": ', registry, "request 3"));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toMatch(/^request 3 is not JSON: /);
  });

  it("fails with INVALID_ARGUMENT naming the type for JSON that is not the message", () => {
    const error = errorOf(() => parseRequestJson(HelloRequestSchema, '{"greetin": "x"}', registry, "the request"));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe('the request: cannot decode message hello.v1.HelloRequest from JSON: key "greetin" is unknown');
  });
});

describe("parseSingleRequest()", () => {
  it("reads one object, which may span lines", () => {
    expect(parseSingleRequest(HelloRequestSchema, '{\n  "greeting": "hi"\n}\n', registry, "SayHello").greeting).toBe("hi");
  });

  it("reads empty input as the empty message", () => {
    expect(parseSingleRequest(HelloRequestSchema, " \n", registry, "SayHello").greeting).toBe("");
  });

  it("refuses one object per line: the method takes one", () => {
    const error = errorOf(() => parseSingleRequest(HelloRequestSchema, '{"greeting":"a"}\n{"greeting":"b"}\n', registry, "SayHello"));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe("SayHello takes one request message, but the input has 2 lines of JSON");
  });
});

describe("parseRequestList() and parseRequestLines()", () => {
  it("read one object per line, skipping blank lines", async () => {
    const text = '{"greeting":"a"}\n\n{"greeting":"b"}\n';
    expect(parseRequestList(HelloRequestSchema, text, registry).map((r) => r.greeting)).toEqual(["a", "b"]);
    const streamed: string[] = [];
    const lines = (async function* () {
      yield* text.split("\n");
    })();
    for await (const request of parseRequestLines(HelloRequestSchema, lines, registry)) streamed.push(request.greeting);
    expect(streamed).toEqual(["a", "b"]);
  });

  it("name the request that fails by its number", () => {
    const error = errorOf(() => parseRequestList(HelloRequestSchema, '{"greeting":"a"}\n\nnope\n', registry));
    expect(error.rawMessage).toMatch(/^request 2 is not JSON: /);
  });
});
