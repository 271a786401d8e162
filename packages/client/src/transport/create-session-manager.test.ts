/**
 * What a server sees when a client cancels or fails a call whose request body is still
 * open: a raw Node HTTP/2 server on 127.0.0.1 records the stream's events in order, so the
 * test can tell a reset alone from an END_STREAM followed by a reset.
 */
import * as http2 from "node:http2";
import type * as net from "node:net";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import { HelloService } from "@hello/sdk";
import { createNodeTransport, type NodeTransport } from "../create-node-transport.js";

/** The events of each server stream, in order. */
const streams: string[][] = [];
let server: http2.Http2Server;
let baseUrl: string;
const transports: NodeTransport[] = [];

beforeAll(async () => {
  server = http2.createServer();
  server.on("stream", (stream) => {
    const events: string[] = [];
    streams.push(events);
    stream.on("data", () => events.push("data"));
    stream.on("end", () => events.push("end"));
    stream.on("aborted", () => events.push("aborted"));
    stream.on("error", () => events.push("error"));
    stream.on("close", () => events.push(`close ${stream.rstCode}`));
    // Headers only: the calls under test never get further than their request.
    stream.respond({ ":status": 200, "content-type": "application/grpc" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});

afterAll(async () => {
  for (const transport of transports) transport.close();
  await new Promise((resolve) => server.close(resolve));
});

/** A client stream whose requests are `requests`, then whatever `rest` does. */
function clientStream(signal: AbortSignal, rest: () => Promise<void>) {
  const transport = createNodeTransport({ baseUrl, protocol: "grpc", retry: false, timeoutMs: 0 });
  transports.push(transport);
  const client = createClient(HelloService, transport.transport);
  async function* requests() {
    yield { greeting: "one" };
    await rest();
  }
  return client.lotsOfGreetings(requests(), { signal }).then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
}

/** Waits until the server's last stream has closed, and returns its events. */
async function lastStreamEvents(): Promise<string[]> {
  for (let i = 0; i < 200; i++) {
    const events = streams.at(-1);
    if (events?.some((e) => e.startsWith("close"))) return events;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`the server stream did not close: ${JSON.stringify(streams.at(-1))}`);
}

describe("createSessionManager() streams", () => {
  it("cancel a call with an open request body by RST_STREAM(CANCEL) alone, no END_STREAM first", async () => {
    const stop = new AbortController();
    const sent = new Promise<void>((resolve) => server.once("stream", (stream) => stream.once("data", () => resolve())));
    const result = clientStream(stop.signal, () => new Promise(() => {}));
    await sent;
    stop.abort(new ConnectError("stop", Code.Canceled));
    expect((await result)?.code).toBe(Code.Canceled);
    const events = await lastStreamEvents();
    // Node emits "end" on the server after a reset; before "aborted" it would mean END_STREAM.
    expect(events.slice(0, events.indexOf("aborted"))).not.toContain("end");
    expect(events.at(-1)).toBe(`close ${http2.constants.NGHTTP2_CANCEL}`);
  });

  it("reset a call whose request source fails with INTERNAL_ERROR, no END_STREAM first", async () => {
    const result = clientStream(new AbortController().signal, async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      throw new ConnectError("bad input", Code.InvalidArgument);
    });
    expect((await result)?.code).toBe(Code.InvalidArgument);
    const events = await lastStreamEvents();
    expect(events).not.toContain("end");
    expect(events.at(-1)).toBe(`close ${http2.constants.NGHTTP2_INTERNAL_ERROR}`);
  });

  it("still end a request body that completes with END_STREAM", async () => {
    // The raw server never answers with a gRPC status; the deadline ends the call.
    const result = clientStream(AbortSignal.timeout(300), async () => {});
    await result;
    const events = await lastStreamEvents();
    expect(events.slice(0, 2)).toEqual(["data", "end"]);
  });
});

describe("createSessionManager() streams the server answers without reading", () => {
  // Like grpc-go refusing a message over its limit: it reads the length prefix, answers
  // with headers and a RESOURCE_EXHAUSTED trailer, and resets the stream with NO_ERROR,
  // never reading the rest (so the client's flow-control window stays full).
  let refusing: http2.Http2Server;
  let refusingUrl: string;
  const sessions = new Set<http2.ServerHttp2Session>();
  beforeAll(async () => {
    refusing = http2.createServer();
    // The client's close ends its session with GOAWAY(CANCEL), an error on this side.
    refusing.on("session", (session) => {
      sessions.add(session);
      session.on("error", () => undefined);
    });
    refusing.on("stream", (stream) => {
      stream.on("error", () => undefined);
      stream.once("readable", () => {
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.once("wantTrailers", () => {
          stream.sendTrailers({ "grpc-status": String(Code.ResourceExhausted), "grpc-message": "too large" });
          // A reset drops the stream's frames still queued: reset once the trailers are out.
          const resetWhenSent = () => {
            if ((stream.session?.state.outboundQueueSize ?? 0) > 0) setImmediate(resetWhenSent);
            else stream.close(http2.constants.NGHTTP2_NO_ERROR);
          };
          setImmediate(resetWhenSent);
        });
        stream.end();
      });
    });
    await new Promise<void>((resolve) => refusing.listen(0, "127.0.0.1", resolve));
    refusingUrl = `http://127.0.0.1:${(refusing.address() as net.AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const session of sessions) session.destroy();
    await new Promise((resolve) => refusing.close(resolve));
  });

  it("release the write in flight, and the call ends with the server's status", async () => {
    const transport = createNodeTransport({ baseUrl: refusingUrl, protocol: "grpc", retry: false, timeoutMs: 0 });
    const client = createClient(HelloService, transport.transport);
    const requests = createWritableIterable<MessageInitShape<typeof HelloService.method.bidiHello.input>>();
    const responses = client.bidiHello(requests)[Symbol.asyncIterator]();
    // Half duplex: send everything, then read. 256 KiB is four times the server's window.
    const sent = requests.write({ greeting: "x".repeat(256 * 1024) }).then(
      () => "sent",
      () => "failed",
    );
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise((resolve) => {
      timer = setTimeout(() => resolve("still waiting after 5 s"), 5_000);
    });
    const outcome = await Promise.race([sent, stuck]);
    clearTimeout(timer);
    expect(outcome).toBe("failed");
    requests.close();
    const error = await responses.next().then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    transport.close();
    expect([error?.code, error?.rawMessage]).toEqual([Code.ResourceExhausted, "too large"]);
  });
});
