/**
 * normalizeTransportErrors on connect's in-memory router transport. The router transport
 * never fails like a socket, so an interceptor next to it (`failing`) plays the part of
 * connect-node: it fails attempts with the ConnectError connect-node makes of a Node error
 * it cannot classify — INTERNAL, the Node error as cause — and the Node errors come from
 * another realm (node:vm), as Node's own errors do inside jest. The real socket cases are in
 * client.integration.test.ts.
 */
import { runInNewContext } from "node:vm";
import { Code, ConnectError, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { HelloService } from "@hello/sdk";
import { createRetryInterceptor, PREVIOUS_ATTEMPTS_HEADER } from "../retry/create-retry-interceptor.js";
import { normalizeTransportError, normalizeTransportErrors } from "./normalize-transport-errors.js";

/** A Node-style error (`code`, `message`, optional `cause`) made in another realm: not `instanceof Error` here. */
function foreignError(code: string, message: string, cause?: unknown): Error {
  return runInNewContext("Object.assign(new Error(message), { code }, cause === undefined ? {} : { cause })", {
    code,
    message,
    cause,
  }) as Error;
}

/** What connect-node makes of an error it cannot read a code from: INTERNAL, with the error as cause. */
function asConnectNodeReports(nodeError: unknown, code = Code.Internal): ConnectError {
  return new ConnectError(String(nodeError), code, { "x-seen": "1" }, undefined, nodeError);
}

const refused = () => asConnectNodeReports(foreignError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:1"));
const streamReset = (name: string) =>
  asConnectNodeReports(foreignError("ERR_HTTP2_STREAM_ERROR", `Stream closed with error code NGHTTP2_${name}`));

/**
 * A client whose first `failures.length` attempts fail at the transport with these errors,
 * before the server sees them (or, for `afterFirstMessage`, once a server stream has sent
 * its first message), in the order createNodeTransport uses: retry, then the normaliser.
 */
function setup(failures: ConnectError[], options: { afterFirstMessage?: boolean } = {}) {
  const served: { method: string; previous: string | null }[] = [];
  let attempts = 0;
  const failing: Interceptor = (next) => async (req) => {
    const failure = failures[attempts++];
    if (failure === undefined) return next(req);
    if (!options.afterFirstMessage) throw failure;
    const res = await next(req);
    if (!res.stream) throw failure;
    return {
      ...res,
      message: (async function* () {
        for await (const message of res.message) {
          yield message;
          throw failure;
        }
      })(),
    };
  };
  const transport = createRouterTransport(
    ({ service }) =>
      service(HelloService, {
        sayHello(req, ctx) {
          served.push({ method: "SayHello", previous: ctx.requestHeader.get(PREVIOUS_ATTEMPTS_HEADER) });
          if (req.greeting === "fail") throw new ConnectError("from the server", Code.Internal);
          return { reply: `Hello, ${req.greeting}!` };
        },
        async *lotsOfReplies(req, ctx) {
          served.push({ method: "LotsOfReplies", previous: ctx.requestHeader.get(PREVIOUS_ATTEMPTS_HEADER) });
          for (let i = 1; i <= req.replyCount; i++) yield { reply: `${i}` };
        },
        async lotsOfGreetings(reqs) {
          served.push({ method: "LotsOfGreetings", previous: null });
          for await (const _ of reqs) {
            // drain
          }
          return { reply: "all" };
        },
      }),
    {
      transport: {
        interceptors: [
          createRetryInterceptor({ initialBackoffMs: 1, maxBackoffMs: 1, random: () => 0 }),
          normalizeTransportErrors,
          failing,
        ],
      },
    },
  );
  return { client: createClient(HelloService, transport), served, attempts: () => attempts };
}

async function failureOf(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("the call succeeded");
}

async function* greetings(...texts: string[]) {
  for (const greeting of texts) yield { greeting };
}

describe("normalizeTransportError()", () => {
  it.each([
    ["ECONNREFUSED", "connection refused"],
    ["ECONNRESET", "connection reset"],
    ["EPIPE", "connection closed while sending"],
    ["ETIMEDOUT", "connection timed out"],
    ["EHOSTUNREACH", "host unreachable"],
    ["ENETUNREACH", "network unreachable"],
    ["EAI_AGAIN", "name resolution failed (temporary)"],
    ["ENOTFOUND", "name resolution failed"],
    ["ERR_HTTP2_GOAWAY_SESSION", "the HTTP/2 connection is going away (GOAWAY) and takes no new calls"],
    ["ERR_HTTP2_SESSION_ERROR", "the HTTP/2 connection closed with an error"],
  ])("makes %s UNAVAILABLE, saying what happened and keeping the original", (code, what) => {
    const original = asConnectNodeReports(foreignError(code, `${code.toLowerCase()} happened`));
    const error = normalizeTransportError(original);
    expect(Code[error.code]).toBe("Unavailable");
    expect(error.rawMessage).toBe(`${what} (${code}): ${code.toLowerCase()} happened`);
    expect(error.cause).toBe(original);
    expect(error.metadata.get("x-seen")).toBe("1");
  });

  it.each([
    ["REFUSED_STREAM", "Unavailable"],
    ["CANCEL", "Canceled"],
    ["ENHANCE_YOUR_CALM", "ResourceExhausted"],
    ["INADEQUATE_SECURITY", "PermissionDenied"],
    ["INTERNAL_ERROR", "Internal"],
    ["PROTOCOL_ERROR", "Internal"],
    ["FLOW_CONTROL_ERROR", "Internal"],
    ["HTTP_1_1_REQUIRED", "Internal"],
  ])("maps a stream reset with %s to %s, as gRPC does", (name, code) => {
    const error = normalizeTransportError(streamReset(name));
    expect(Code[error.code]).toBe(code);
    expect(error.rawMessage).toBe(
      `HTTP/2 stream reset by the peer with ${name} (RST_STREAM): Stream closed with error code NGHTTP2_${name}`,
    );
  });

  it("reads a stream reset whose code Node could only give as a number as INTERNAL", () => {
    const error = normalizeTransportError(asConnectNodeReports(foreignError("ERR_HTTP2_STREAM_ERROR", "Stream closed with error code 99")));
    expect(Code[error.code]).toBe("Internal");
    expect(error.rawMessage).toContain("an unknown error code");
  });

  it("follows the cause chain: a stream cancelled because its connection was reset", () => {
    const reset = foreignError("ECONNRESET", "read ECONNRESET");
    const cancelled = foreignError("ERR_HTTP2_STREAM_CANCEL", "The pending stream has been canceled", reset);
    const original = asConnectNodeReports(cancelled, Code.Aborted);
    expect(Code[normalizeTransportError(original).code]).toBe("Unavailable");
  });

  it("replaces what connect-node reports when it can read the code (UNAVAILABLE, ABORTED) the same way", () => {
    const nodeError = foreignError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:1");
    const outsideJest = normalizeTransportError(asConnectNodeReports(nodeError, Code.Unavailable));
    const insideJest = normalizeTransportError(asConnectNodeReports(nodeError, Code.Internal));
    expect(outsideJest.message).toBe(insideJest.message);
    expect(Code[normalizeTransportError(asConnectNodeReports(foreignError("ECONNRESET", "x"), Code.Aborted)).code]).toBe("Unavailable");
  });

  it("leaves the caller's cancellation and deadline alone, whatever their cause", () => {
    for (const code of [Code.Canceled, Code.DeadlineExceeded]) {
      const original = asConnectNodeReports(foreignError("ECONNRESET", "read ECONNRESET"), code);
      expect(normalizeTransportError(original)).toBe(original);
    }
  });

  it("leaves errors without a connection failure in their cause chain alone", () => {
    const fromServer = new ConnectError("boom", Code.Internal);
    expect(normalizeTransportError(fromServer)).toBe(fromServer);
    const writeAfterEnd = asConnectNodeReports(foreignError("ERR_STREAM_WRITE_AFTER_END", "write after end"), Code.Aborted);
    expect(normalizeTransportError(writeAfterEnd)).toBe(writeAfterEnd);
  });

  it("turns anything else into a ConnectError, as ConnectError.from does", () => {
    expect(Code[normalizeTransportError("oops").code]).toBe("Unknown");
    expect(Code[normalizeTransportError(foreignError("ECONNREFUSED", "connect ECONNREFUSED")).code]).toBe("Unavailable");
  });

  it("changes nothing the second time, and stops at a cycle in the cause chain", () => {
    const once = normalizeTransportError(refused());
    expect(normalizeTransportError(once)).toBe(once);
    const cyclic = foreignError("ERR_SOMETHING", "loop");
    (cyclic as { cause?: unknown }).cause = cyclic;
    const error = asConnectNodeReports(cyclic);
    expect(normalizeTransportError(error)).toBe(error);
  });
});

describe("normalizeTransportErrors inside createRetryInterceptor", () => {
  it("lets a refused idempotent call be retried until it succeeds", async () => {
    const { client, served } = setup([refused(), refused()]);
    expect((await client.sayHello({ greeting: "x" })).reply).toBe("Hello, x!");
    // The server saw only the third attempt, which says two came before it.
    expect(served).toEqual([{ method: "SayHello", previous: "2" }]);
  });

  it("lets a stream refused with REFUSED_STREAM be retried, and not one reset with INTERNAL_ERROR", async () => {
    const refusedStream = setup([streamReset("REFUSED_STREAM")]);
    expect((await refusedStream.client.sayHello({ greeting: "x" })).reply).toBe("Hello, x!");
    expect(refusedStream.attempts()).toBe(2);

    const internal = setup([streamReset("INTERNAL_ERROR")]);
    expect(Code[(await failureOf(internal.client.sayHello({ greeting: "x" }))).code]).toBe("Internal");
    expect(internal.attempts()).toBe(1);
  });

  it("gives a call that is not idempotent UNAVAILABLE, without retrying it", async () => {
    const { client, attempts } = setup([refused()]);
    const error = await failureOf(client.lotsOfGreetings(greetings("a", "b")));
    expect(Code[error.code]).toBe("Unavailable");
    expect(error.rawMessage).toBe("connection refused (ECONNREFUSED): connect ECONNREFUSED 127.0.0.1:1");
    expect(attempts()).toBe(1);
  });

  it("normalises an error in the middle of a server stream, after its first message", async () => {
    const { client, attempts } = setup([asConnectNodeReports(foreignError("ECONNRESET", "read ECONNRESET"), Code.Aborted)], {
      afterFirstMessage: true,
    });
    const replies: string[] = [];
    const error = await failureOf(
      (async () => {
        for await (const { reply } of client.lotsOfReplies({ greeting: "x", replyCount: 3 })) replies.push(reply);
      })(),
    );
    expect(Code[error.code]).toBe("Unavailable");
    expect(replies).toEqual(["1"]);
    // A message had arrived: not retried.
    expect(attempts()).toBe(1);
  });

  it("passes a server's own error through untouched", async () => {
    const { client, served } = setup([]);
    const error = await failureOf(client.sayHello({ greeting: "fail" }));
    expect(error.rawMessage).toBe("from the server");
    expect(Code[error.code]).toBe("Internal");
    expect(served).toHaveLength(1);
  });
});
