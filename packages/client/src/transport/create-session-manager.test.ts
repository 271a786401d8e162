/**
 * What a server sees when a client cancels or fails a call whose request body is still
 * open: a raw Node HTTP/2 server on 127.0.0.1 records the stream's events in order, so the
 * test can tell a reset alone from an END_STREAM followed by a reset.
 */
import * as http2 from "node:http2";
import type * as net from "node:net";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
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
