import { grpcUnframe, takeFrames } from "./grpc-frame.js";
import { BENCH_ORIGIN, createWorkloads, servesWorkload } from "./workloads.js";

describe("createWorkloads()", () => {
  const workloads = createWorkloads({ longStreamMessages: 7 });
  const byId = (id: string) => workloads.find((w) => w.id === id)!;

  it("gives every workload a unique id", () => {
    expect(new Set(workloads.map((w) => w.id)).size).toBe(workloads.length);
  });

  it("drives HTTP/1.1 one call per connection, and the browser-style calls with the allowed origin and its CORS answer", () => {
    for (const id of ["connect-proto-unary-h1", "connect-json-unary-h1", "grpc-web-unary-h1", "connect-json-unary-h1-cors"]) {
      expect(byId(id)).toMatchObject({ httpVersion: "h1", clients: 10, streamsPerClient: 1 });
    }
    for (const id of ["connect-json-unary-h1-cors", "connect-json-unary-c10-cors"]) {
      expect(byId(id).headers.origin).toBe(BENCH_ORIGIN);
      expect(byId(id).expected.headers).toEqual({ "access-control-allow-origin": BENCH_ORIGIN });
      expect(byId(id).body).toEqual(byId("connect-json-unary-h1").body);
    }
    expect(byId("connect-json-unary-h1").headers.origin).toBeUndefined();
  });

  it("sends client streams and bidi calls as several request envelopes in one body, counting their messages", () => {
    expect(grpcUnframe(byId("grpc-client-stream-c10").body)).toHaveLength(3);
    expect(byId("grpc-client-stream-long")).toMatchObject({ kind: "client-stream", messagesPerCall: 7, clients: 10, streamsPerClient: 1 });
    expect(grpcUnframe(byId("grpc-client-stream-long").body)).toHaveLength(7);
    expect(grpcUnframe(byId("grpc-client-stream-long").expected.body)).toHaveLength(1);
    expect(byId("grpc-bidi-c10")).toMatchObject({ kind: "bidi", messagesPerCall: 1, clients: 10, streamsPerClient: 10 });
    expect(grpcUnframe(byId("grpc-bidi-long").expected.body)).toHaveLength(7);
  });
});

describe("servesWorkload()", () => {
  const [h1Json, h2Cors] = ["connect-json-unary-h1", "connect-json-unary-c10-cors"].map(
    (id) => createWorkloads().find((w) => w.id === id)!,
  );

  it("needs the workload's protocol, its HTTP version, and CORS for a browser-style call", () => {
    const h2Only = { protocols: ["connect-json"] as const, httpVersions: ["h2"] as const, cors: false };
    expect(servesWorkload(h2Only, h1Json!)).toBe(false);
    expect(servesWorkload({ ...h2Only, httpVersions: ["h2", "h1"] }, h1Json!)).toBe(true);
    expect(servesWorkload(h2Only, h2Cors!)).toBe(false);
    expect(servesWorkload({ ...h2Only, cors: true }, h2Cors!)).toBe(true);
    expect(servesWorkload({ ...h2Only, protocols: ["grpc"], cors: true }, h2Cors!)).toBe(false);
  });
});

describe("takeFrames()", () => {
  it("splits off whole frames and keeps the bytes of an incomplete one", () => {
    const frames = createWorkloads().find((w) => w.id === "grpc-client-stream-c10")!.body;
    const first = takeFrames(frames.subarray(0, frames.length - 2));
    expect(first.frames).toHaveLength(2);
    expect(first.rest.length).toBe(frames.length / 3 - 2);
    const second = takeFrames(Buffer.concat([first.rest, frames.subarray(frames.length - 2)]));
    expect(second.frames).toHaveLength(1);
    expect(second.rest.length).toBe(0);
    expect(takeFrames(Buffer.from([0, 0, 0])).frames).toEqual([]);
  });
});
